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

  /** A request over the bridge refused with an API error: counted with the HTTP ones. */
  void refusedRequest(String code, int status) {
    Counter.builder("inferbus_requests_refused")
        .description("Requests refused, by error code (rate_limited, queue_full, 4xx validation, 503 ...)")
        .tags("code", code, "status", String.valueOf(status))
        .register(registry)
        .increment();
  }

  void refused(String reason) {
    Counter.builder("inferbus_bridge_refused_frames")
        .description("Bridge frames (and connections) refused, by reason")
        .tags("reason", reason)
        .register(registry)
        .increment();
  }
}
