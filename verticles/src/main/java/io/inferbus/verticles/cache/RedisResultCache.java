package io.inferbus.verticles.cache;

import io.inferbus.verticles.redis.RedisGateway;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import java.util.Optional;

/** The cache every node shares; bypassed (a miss, nothing stored) while Redis is unavailable. */
public final class RedisResultCache implements ResultCache {
  /** A result this large is rarely asked for twice, and would cost Redis more memory than many small ones. */
  private static final long MAX_ENTRY_BYTES = 16L * 1024 * 1024;

  private final RedisGateway redis;
  private final long ttlMillis;
  private final CacheMetrics metrics;

  public RedisResultCache(RedisGateway redis, long ttlMillis, CacheMetrics metrics) {
    this.redis = redis;
    this.ttlMillis = ttlMillis;
    this.metrics = metrics;
  }

  @Override
  public Future<Optional<JsonObject>> get(String key) {
    if (!redis.available()) {
      metrics.miss();
      return Future.succeededFuture(Optional.empty());
    }
    return redis.send(Command.GET, redis.key("result-cache", key))
        .map(reply -> Optional.ofNullable(reply).map(r -> new JsonObject(r.toBuffer())))
        .otherwise(Optional.empty())
        .onSuccess(found -> {
          if (found.isPresent()) {
            metrics.hit();
          } else {
            metrics.miss();
          }
        });
  }

  @Override
  public Future<Void> put(String key, JsonObject result) {
    long size = CacheMetrics.estimateBytes(result);
    if (size > MAX_ENTRY_BYTES || !redis.available()) {
      return Future.succeededFuture();
    }
    return redis.send(Command.SET, redis.key("result-cache", key), result.encode(), "PX", ttlMillis)
        .onSuccess(ok -> metrics.stored(size))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }
}
