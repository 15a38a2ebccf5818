package io.inferbus.verticles.api;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.inferbus.verticles.jobs.JobEvent;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's followers of each job (event streams, bridge sockets): {@link JobEventRelay} hands
 * each job event straight to them, each on its own context, in the order the relay got them. A
 * node-local bus address per job did the same at the cost of a handler registration per stream
 * (with its metrics' gauges) and a copy of every event for each follower. Shared by the relay and
 * every API verticle of the node.
 */
public final class JobFollowers {
  private record Follower(Context context, JobEventFeed feed) {}

  private final Map<String, Follower[]> byJob = new ConcurrentHashMap<>();

  void add(String jobId, Context context, JobEventFeed feed) {
    Follower follower = new Follower(context, feed);
    byJob.merge(jobId, new Follower[] {follower}, (known, added) -> {
      Follower[] more = Arrays.copyOf(known, known.length + 1);
      more[known.length] = follower;
      return more;
    });
  }

  void remove(String jobId, JobEventFeed feed) {
    byJob.computeIfPresent(jobId, (id, known) -> {
      Follower[] rest = Arrays.stream(known).filter(f -> f.feed() != feed).toArray(Follower[]::new);
      return rest.length == 0 ? null : rest;
    });
  }

  /** The followers only read the event, so they share it. */
  void hand(JobEvent event) {
    Follower[] followers = byJob.get(event.jobId());
    if (followers == null) {
      return;
    }
    Context current = Vertx.currentContext();
    for (Follower follower : followers) {
      if (follower.context() == current) {
        follower.feed().onLive(event);
      } else {
        follower.context().runOnContext(v -> follower.feed().onLive(event));
      }
    }
  }
}
