package io.inferbus.verticles.cache;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/** Results of finished jobs by {@link CacheKey}; a cache that cannot answer answers "miss". */
public interface ResultCache {

  Future<Optional<JsonObject>> get(String key);

  /**
   * Completes once the result is stored, or once it is clear that it will not be (too large, the
   * store unreachable); never fails: a result that could not be kept is merely computed again.
   */
  Future<Void> put(String key, JsonObject result);
}
