package io.inferbus.verticles.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/** Open bridge connections on this node, and frames refused by reason. */
final class BridgeMetrics {
  private final MeterRegistry registry;
  private final AtomicInteger open = new AtomicInteger();

  BridgeMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("inferbus_bridge_sockets", open::get)
        .description("Event-bus bridge connections open on this node")
        .register(registry);
  }

  void opened() {
    open.incrementAndGet();
  }

  void closed() {
    open.decrementAndGet();
  }

  void refused(String reason) {
    Counter.builder("inferbus_bridge_refused_frames")
        .description("Bridge frames (and connections) refused, by reason")
        .tags("reason", reason)
        .register(registry)
        .increment();
  }
}
