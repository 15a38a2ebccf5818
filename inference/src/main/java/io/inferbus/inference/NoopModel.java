package io.inferbus.inference;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The built-in "model" for measuring orchestration: echoes its inputs, taking {@code delayMillis}
 * per item as a stand-in for compute, and stops early when asked to.
 */
public final class NoopModel {
  private final long delayNanos;

  public NoopModel(long delayMillis) {
    this.delayNanos = TimeUnit.MILLISECONDS.toNanos(delayMillis);
  }

  public List<String> run(List<String> inputs, BooleanSupplier cancelled) throws InterruptedException {
    for (int i = 0; i < inputs.size() && delayNanos > 0; i++) {
      if (cancelled.getAsBoolean()) {
        throw new InterruptedException("cancelled");
      }
      TimeUnit.NANOSECONDS.sleep(delayNanos);
    }
    return List.copyOf(inputs);
  }
}
