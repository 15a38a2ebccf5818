package io.inferbus.verticles.api;

import io.inferbus.verticles.bus.BusAddresses;
import io.inferbus.verticles.jobs.RecentEvents;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.inferbus.verticles.jobs.JobEvent;

/**
 * Hands every job event that reaches this node to the node's own followers of that job
 * ({@link JobFollowers}): followers come and go with each stream without touching the cluster or
 * the bus. Deployed once per API node, so each event reaches each follower once.
 */
public final class JobEventRelay extends VerticleBase {
  private final RecentEvents recent;
  private final JobFollowers followers;

  public JobEventRelay(RecentEvents recent, JobFollowers followers) {
    this.recent = recent;
    this.followers = followers;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<JobEvent>consumer(BusAddresses.JOB_EVENTS, this::handToFollowers).completion();
  }

  private void handToFollowers(Message<JobEvent> event) {
    recent.seen(event.body());
    followers.hand(event.body());
  }
}
