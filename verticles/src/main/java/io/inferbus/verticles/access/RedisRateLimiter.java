package io.inferbus.verticles.access;

import io.inferbus.verticles.config.InferbusConfig.Bucket;
import io.inferbus.verticles.redis.LuaScript;
import io.inferbus.verticles.redis.RedisGateway;
import io.vertx.core.Future;
import io.vertx.redis.client.Response;
import java.util.List;

/** Buckets in Redis, shared by every API node; this node's own buckets stand in while Redis is away. */
public final class RedisRateLimiter implements RateLimiter {
  private static final LuaScript TOKEN_BUCKET = LuaScript.load("/redis/token-bucket.lua");

  private final RedisGateway redis;
  private final LocalRateLimiter fallback;

  public RedisRateLimiter(RedisGateway redis, LocalRateLimiter fallback) {
    this.redis = redis;
    this.fallback = fallback;
  }

  @Override
  public Future<RateDecision> take(String caller, Bucket bucket) {
    if (bucket.unlimited()) {
      return Future.succeededFuture(RateDecision.unlimited(bucket));
    }
    if (!redis.available()) {
      return fallback.take(caller, bucket);
    }
    return redis.eval(TOKEN_BUCKET, List.of(redis.key("rate", caller)),
            List.of(Double.toString(LocalRateLimiter.perMillisecond(bucket)), Integer.toString(bucket.burst())))
        .map(reply -> decision(bucket, reply))
        .recover(failure -> fallback.take(caller, bucket));
  }

  private static RateDecision decision(Bucket bucket, Response reply) {
    return RateDecision.of(bucket, reply.get(0).toInteger() == 1, reply.get(1).toLong(), reply.get(2).toLong(), reply.get(3).toLong());
  }
}
