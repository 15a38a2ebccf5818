package io.inferbus.verticles.cache;

import io.inferbus.verticles.redis.RedisGateway;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import java.util.Optional;

/** Claims in Redis: single flight across every API node; this node's own claims stand in while Redis is away. */
public final class RedisJobClaims implements JobClaims {
  private final RedisGateway redis;
  private final LocalJobClaims fallback;

  public RedisJobClaims(RedisGateway redis, LocalJobClaims fallback) {
    this.redis = redis;
    this.fallback = fallback;
  }

  @Override
  public Future<Optional<String>> claim(String key, String jobId, long ttlMillis) {
    if (!redis.available()) {
      return fallback.claim(key, jobId, ttlMillis);
    }
    String claimKey = redis.key("claim", key);
    return redis.send(Command.SET, claimKey, jobId, "NX", "GET", "PX", ttlMillis)
        .map(previous -> previous == null ? Optional.<String>empty() : Optional.of(previous.toString()))
        .recover(failure -> fallback.claim(key, jobId, ttlMillis));
  }
}
