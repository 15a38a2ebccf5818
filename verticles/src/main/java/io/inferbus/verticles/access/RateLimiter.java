package io.inferbus.verticles.access;

import io.inferbus.verticles.config.InferbusConfig.Bucket;
import io.vertx.core.Future;

/** Token buckets, one per caller (an API key, or the IP of an anonymous caller). */
public interface RateLimiter {

  /** Takes one token from the caller's bucket; never fails (a limiter that cannot decide falls back). */
  Future<RateDecision> take(String caller, Bucket bucket);
}
