package io.inferbus.verticles.worker;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The workers serving each model, kept in a shared map (cluster-wide when the node is clustered).
 * Listing a clustered map visits every partition, so the question asked on every submission,
 * "does this model have a worker?", is answered from a snapshot at most {@link #SNAPSHOT_MILLIS} old.
 */
public final class WorkerDirectory {
  private static final String MAP = "inferbus.workers";
  static final long SNAPSHOT_MILLIS = 250;

  private record Snapshot(List<WorkerInfo> workers, long takenAt) {}

  private final Vertx vertx;
  private final Clock clock;
  private volatile Snapshot snapshot = new Snapshot(List.of(), 0);

  public WorkerDirectory(Vertx vertx, Clock clock) {
    this.vertx = vertx;
    this.clock = clock;
  }

  public Future<Void> register(WorkerInfo worker) {
    return map().compose(m -> m.put(key(worker), worker.toJson())).andThen(v -> invalidate());
  }

  public Future<Void> unregister(WorkerInfo worker) {
    return map().compose(m -> m.remove(key(worker))).<Void>mapEmpty().andThen(v -> invalidate());
  }

  public Future<List<WorkerInfo>> workers() {
    return map().compose(AsyncMap::entries)
        .map(entries -> entries.values().stream().map(WorkerInfo::fromJson).toList())
        .andThen(listed -> {
          if (listed.succeeded()) {
            snapshot = new Snapshot(listed.result(), clock.millis());
          }
        });
  }

  public Future<Boolean> hasWorker(String model) {
    Snapshot recent = snapshot;
    Future<List<WorkerInfo>> workers = clock.millis() - recent.takenAt() < SNAPSHOT_MILLIS
        ? Future.succeededFuture(recent.workers())
        : workers();
    return workers.map(list -> list.stream().anyMatch(w -> w.model().equals(model)));
  }

  private void invalidate() {
    snapshot = new Snapshot(List.of(), 0);
  }

  /** Removes the workers of nodes that are gone. */
  public Future<Void> forget(Predicate<String> goneNode) {
    return map().compose(m -> m.entries().compose(entries -> Future.all(entries.entrySet().stream()
        .filter(e -> goneNode.test(e.getValue().getString("node")))
        .map(Map.Entry::getKey)
        .map(m::remove)
        .toList())))
        .<Void>mapEmpty()
        .andThen(v -> invalidate());
  }

  private Future<AsyncMap<String, JsonObject>> map() {
    return vertx.sharedData().getAsyncMap(MAP);
  }

  private static String key(WorkerInfo worker) {
    return worker.model() + "@" + worker.node();
  }
}
