package io.inferbus.verticles.cache;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/** This node's cache when there is no Redis: bounded by bytes, least recently used out first, entries expire. */
public final class MemoryResultCache implements ResultCache {
  private record Entry(JsonObject result, long bytes, long expiresAt) {}

  private final Map<String, Entry> entries = new LinkedHashMap<>(256, 0.75f, true);
  private final long maxBytes;
  private final long ttlMillis;
  private final LongSupplier clockMillis;
  private final CacheMetrics metrics;
  private long bytes;

  public MemoryResultCache(long maxBytes, long ttlMillis, LongSupplier clockMillis, CacheMetrics metrics) {
    this.maxBytes = maxBytes;
    this.ttlMillis = ttlMillis;
    this.clockMillis = clockMillis;
    this.metrics = metrics;
    metrics.watchSize(this::bytes, this::size);
  }

  @Override
  public synchronized Future<Optional<JsonObject>> get(String key) {
    Entry entry = entries.get(key);
    if (entry != null && entry.expiresAt() <= clockMillis.getAsLong()) {
      remove(key);
      entry = null;
    }
    if (entry == null) {
      metrics.miss();
      return Future.succeededFuture(Optional.empty());
    }
    metrics.hit();
    return Future.succeededFuture(Optional.of(entry.result()));
  }

  @Override
  public synchronized Future<Void> put(String key, JsonObject result) {
    long size = CacheMetrics.estimateBytes(result);
    if (size > maxBytes / 4) {
      return Future.succeededFuture();
    }
    remove(key);
    entries.put(key, new Entry(result, size, clockMillis.getAsLong() + ttlMillis));
    bytes += size;
    metrics.stored(size);
    for (Iterator<Map.Entry<String, Entry>> eldest = entries.entrySet().iterator(); bytes > maxBytes && eldest.hasNext(); ) {
      bytes -= eldest.next().getValue().bytes();
      eldest.remove();
    }
    return Future.succeededFuture();
  }

  private void remove(String key) {
    Entry old = entries.remove(key);
    if (old != null) {
      bytes -= old.bytes();
    }
  }

  private synchronized long bytes() {
    return bytes;
  }

  private synchronized long size() {
    return entries.size();
  }
}
