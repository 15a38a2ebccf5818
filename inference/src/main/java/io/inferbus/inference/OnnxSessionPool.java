package io.inferbus.inference;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/** N sessions of one graph; a caller borrows one for a run so sessions never share a thread pool. */
final class OnnxSessionPool implements AutoCloseable {
  private final List<OrtSession> sessions;
  private final BlockingQueue<OrtSession> idle;

  private OnnxSessionPool(List<OrtSession> sessions) {
    this.sessions = sessions;
    this.idle = new ArrayBlockingQueue<>(sessions.size(), false, sessions);
  }

  static OnnxSessionPool load(byte[] graph, EngineOptions options) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    List<OrtSession> sessions = new ArrayList<>();
    try {
      for (int i = 0; i < options.sessions(); i++) {
        sessions.add(env.createSession(graph, options.sessionOptions()));
      }
    } catch (OrtException | RuntimeException e) {
      sessions.forEach(OnnxSessionPool::closeQuietly);
      throw e;
    }
    return new OnnxSessionPool(sessions);
  }

  OrtSession any() {
    return sessions.get(0);
  }

  int size() {
    return sessions.size();
  }

  interface SessionWork<T> {
    T run(OrtSession session) throws OrtException;
  }

  <T> T withSession(SessionWork<T> work) throws OrtException {
    OrtSession session;
    try {
      session = idle.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for an ONNX session", e);
    }
    try {
      return work.run(session);
    } finally {
      idle.add(session);
    }
  }

  @Override
  public void close() {
    sessions.forEach(OnnxSessionPool::closeQuietly);
  }

  private static void closeQuietly(OrtSession session) {
    try {
      session.close();
    } catch (OrtException ignored) {
      // closing at shutdown: nothing left to do with a failure
    }
  }
}
