package io.inferbus.verticles.access;

import io.inferbus.verticles.config.InferbusConfig.Bucket;

/**
 * One take from a caller's bucket, with what the RateLimit headers tell the caller.
 *
 * @param remaining whole tokens left after this take
 * @param resetSeconds until the bucket is full again
 * @param retryAfterSeconds when refused: until the next token
 */
public record RateDecision(boolean allowed, Bucket bucket, long remaining, long resetSeconds, long retryAfterSeconds) {

  public static RateDecision unlimited(Bucket bucket) {
    return new RateDecision(true, bucket, Long.MAX_VALUE, 0, 0);
  }

  static RateDecision of(Bucket bucket, boolean allowed, long remaining, long untilFullMillis, long untilNextMillis) {
    return new RateDecision(allowed, bucket, remaining, ceilSeconds(untilFullMillis), allowed ? 0 : Math.max(1, ceilSeconds(untilNextMillis)));
  }

  private static long ceilSeconds(long millis) {
    return (Math.max(0, millis) + 999) / 1000;
  }
}
