package io.inferbus.verticles.access;

import io.inferbus.verticles.config.InferbusConfig.Bucket;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.LongSupplier;

/** Buckets in this node's memory: the limits of a node without Redis, and the fallback while Redis is away. */
public final class LocalRateLimiter implements RateLimiter {
  /** Above this many buckets, full ones (which hold nothing a fresh bucket would not) are dropped. */
  private static final int PRUNE_ABOVE = 10_000;

  private final Map<String, State> buckets = new HashMap<>();
  private final LongSupplier clockMillis;

  private static final class State {
    double tokens;
    long at;
  }

  public LocalRateLimiter(LongSupplier clockMillis) {
    this.clockMillis = clockMillis;
  }

  @Override
  public Future<RateDecision> take(String caller, Bucket bucket) {
    return Future.succeededFuture(takeNow(caller, bucket));
  }

  synchronized RateDecision takeNow(String caller, Bucket bucket) {
    if (bucket.unlimited()) {
      return RateDecision.unlimited(bucket);
    }
    long now = clockMillis.getAsLong();
    double rate = perMillisecond(bucket);
    State state = buckets.computeIfAbsent(caller, c -> {
      State fresh = new State();
      fresh.tokens = bucket.burst();
      fresh.at = now;
      return fresh;
    });
    state.tokens = Math.min(bucket.burst(), state.tokens + Math.max(0, now - state.at) * rate);
    state.at = now;
    boolean allowed = state.tokens >= 1;
    if (allowed) {
      state.tokens -= 1;
    }
    RateDecision decision = RateDecision.of(bucket, allowed, (long) Math.floor(state.tokens),
        (long) Math.ceil((bucket.burst() - state.tokens) / rate), (long) Math.ceil((1 - state.tokens) / rate));
    if (buckets.size() > PRUNE_ABOVE) {
      pruneFull(now, rate, bucket.burst());
    }
    return decision;
  }

  private void pruneFull(long now, double rate, int burst) {
    for (Iterator<State> it = buckets.values().iterator(); it.hasNext(); ) {
      State state = it.next();
      if (state.tokens + (now - state.at) * rate >= burst) {
        it.remove();
      }
    }
  }

  static double perMillisecond(Bucket bucket) {
    return bucket.perMinute() / 60_000.0;
  }
}
