package io.inferbus.verticles.cache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.LongSupplier;

/** Hits, misses and bytes of the result cache, whichever kind it is. */
public final class CacheMetrics {
  private final Counter hits;
  private final Counter misses;
  private final Counter storedBytes;
  private final MeterRegistry registry;

  public CacheMetrics(MeterRegistry registry, String store) {
    this.registry = registry;
    this.hits = Counter.builder("inferbus_cache_hits").description("Jobs answered from the result cache").tag("store", store).register(registry);
    this.misses = Counter.builder("inferbus_cache_misses").description("Jobs the result cache could not answer").tag("store", store).register(registry);
    this.storedBytes = Counter.builder("inferbus_cache_stored_bytes").description("Bytes of results written to the cache (estimated)")
        .tag("store", store).register(registry);
  }

  void hit() {
    hits.increment();
  }

  void miss() {
    misses.increment();
  }

  void stored(long bytes) {
    storedBytes.increment(bytes);
  }

  void watchSize(LongSupplier bytes, LongSupplier entries) {
    Gauge.builder("inferbus_cache_bytes", bytes::getAsLong).description("Bytes held by this node's in-memory result cache (estimated)")
        .register(registry);
    Gauge.builder("inferbus_cache_entries", entries::getAsLong).description("Results held by this node's in-memory result cache")
        .register(registry);
  }

  /** Estimates the JSON size without encoding it: embeddings dominate and their size follows from their shape. */
  static long estimateBytes(JsonObject result) {
    JsonArray embeddings = result.getJsonArray("embeddings");
    if (embeddings != null && embeddings.getValue(0) instanceof JsonArray first) {
      return 64L + (long) embeddings.size() * first.size() * 12;
    }
    return result.encode().length();
  }
}
