package io.inferbus.verticles.cache;

import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/** Claims on this node: single flight among the jobs this node accepts. */
public final class LocalJobClaims implements JobClaims {
  private record Claim(String jobId, long expiresAt) {}

  private final Map<String, Claim> claims = new HashMap<>();
  private final LongSupplier clockMillis;

  public LocalJobClaims(LongSupplier clockMillis) {
    this.clockMillis = clockMillis;
  }

  @Override
  public synchronized Future<Optional<String>> claim(String key, String jobId, long ttlMillis) {
    long now = clockMillis.getAsLong();
    if (claims.size() > 10_000) {
      claims.values().removeIf(c -> c.expiresAt() <= now);
    }
    Claim current = claims.get(key);
    if (current != null && current.expiresAt() > now) {
      return Future.succeededFuture(Optional.of(current.jobId()));
    }
    claims.put(key, new Claim(jobId, now + ttlMillis));
    return Future.succeededFuture(Optional.empty());
  }
}
