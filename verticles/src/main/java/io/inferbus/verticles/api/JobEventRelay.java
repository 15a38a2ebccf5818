package io.inferbus.verticles.api;

import io.inferbus.verticles.bus.BusAddresses;
import io.inferbus.verticles.jobs.RecentEvents;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/**
 * Hands every job event that reaches this node to the node's own followers of that job, on the
 * job's node-local address: followers come and go with each stream without touching the cluster.
 * Deployed once per API node, so each event reaches each follower once.
 */
public final class JobEventRelay extends VerticleBase {
  private final RecentEvents recent;

  public JobEventRelay(RecentEvents recent) {
    this.recent = recent;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<JsonObject>consumer(BusAddresses.JOB_EVENTS, this::handToFollowers).completion();
  }

  private void handToFollowers(Message<JsonObject> event) {
    recent.seen(event.body());
    DeliveryOptions local = new DeliveryOptions().setLocalOnly(true).setHeaders(event.headers());
    vertx.eventBus().publish(BusAddresses.events(event.body().getString("job")), event.body(), local);
  }
}
