package io.inferbus.verticles.api;

import io.inferbus.verticles.bus.BusAddresses;
import io.inferbus.verticles.dispatch.JobDispatcher;
import io.inferbus.verticles.jobs.RecentEvents;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.inferbus.verticles.jobs.JobEvent;
import io.inferbus.verticles.jobs.JobEventBatch;

/**
 * Hands every job event that reaches this node to the node's own followers of that job
 * ({@link JobFollowers}): followers come and go with each stream without touching the cluster or
 * the bus. Deployed once per API node, so each event reaches each follower once. The node's
 * dispatcher hears them too: a job's start settles its hand-over (see {@link JobDispatcher#heard}).
 */
public final class JobEventRelay extends VerticleBase {
  private final RecentEvents recent;
  private final JobFollowers followers;
  private final JobDispatcher dispatcher;

  public JobEventRelay(RecentEvents recent, JobFollowers followers, JobDispatcher dispatcher) {
    this.recent = recent;
    this.followers = followers;
    this.dispatcher = dispatcher;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().consumer(BusAddresses.JOB_EVENTS, this::handToFollowers).completion();
  }

  /** A change's events come as one {@link JobEventBatch}; a queued job's position as a lone event. */
  private void handToFollowers(Message<Object> message) {
    if (message.body() instanceof JobEventBatch batch) {
      batch.events().forEach(this::handToFollowers);
    } else {
      handToFollowers((JobEvent) message.body());
    }
  }

  private void handToFollowers(JobEvent event) {
    recent.seen(event);
    followers.hand(event);
    dispatcher.heard(event);
  }
}
