package io.inferbus.verticles.cache;

import io.vertx.core.Future;
import java.util.Optional;

/**
 * Single flight: the first job with a given cache key claims it; identical jobs that arrive while
 * the claim lasts follow that leader instead of running. A claim simply expires; a follower whose
 * leader did not succeed runs itself, so a stale claim costs a wait, never a result.
 */
public interface JobClaims {

  /** Empty when {@code jobId} now leads the key; otherwise the id of the job that does. */
  Future<Optional<String>> claim(String key, String jobId, long ttlMillis);
}
