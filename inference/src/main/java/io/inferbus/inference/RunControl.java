package io.inferbus.inference;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lets another thread stop a batch: no further ONNX run starts, and the run in progress is aborted
 * through ONNX Runtime's terminate flag. One per batch; close it when the batch is over.
 */
public final class RunControl implements AutoCloseable {
  private final OrtSession.RunOptions options;
  private volatile boolean cancelled;
  private final AtomicInteger runsStarted = new AtomicInteger();

  private RunControl(OrtSession.RunOptions options) {
    this.options = options;
  }

  public static RunControl create() {
    try {
      return new RunControl(new OrtSession.RunOptions());
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime could not create run options", e);
    }
  }

  public void cancel() {
    cancelled = true;
    try {
      options.setTerminate(true);
    } catch (OrtException e) {
      // the flag could not be set: the batch still stops before its next run
    }
  }

  public boolean cancelled() {
    return cancelled;
  }

  void checkNotCancelled() {
    if (cancelled) {
      throw new CancellationException("batch cancelled");
    }
  }

  /** The options of the ONNX run about to start: counted, so a caller can tell a batch is under way. */
  OrtSession.RunOptions startRun() {
    runsStarted.incrementAndGet();
    return options;
  }

  /** How many ONNX runs this batch has started. */
  public int runsStarted() {
    return runsStarted.get();
  }

  @Override
  public void close() {
    options.close();
  }
}
