package io.inferbus.verticles.dispatch;

import io.inferbus.verticles.jobs.JobStore.Assignment;
import io.inferbus.verticles.redis.RedisGateway;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * For nodes that keep jobs in Redis without a cluster to tell who is alive: each node renews a
 * presence key, and live jobs held by a node whose key has lapsed (it was killed, or the whole
 * service was stopped) are taken back and run here. This is what finishes accepted jobs after a restart.
 */
public final class PresenceVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(PresenceVerticle.class.getName());

  private final RedisGateway redis;
  private final JobRecovery recovery;
  private final String self;
  private final long ttlMillis;

  public PresenceVerticle(RedisGateway redis, JobRecovery recovery, String self, long ttlMillis) {
    this.redis = redis;
    this.recovery = recovery;
    this.self = self;
    this.ttlMillis = ttlMillis;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(ttlMillis / 3, t -> renewPresence().onSuccess(v -> recoverFromLapsedNodes()));
    renewPresence().onSuccess(v -> recoverFromLapsedNodes());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return redis.send(Command.DEL, presenceKey(self)).recover(failure -> Future.succeededFuture());
  }

  private Future<Void> renewPresence() {
    return redis.send(Command.SET, presenceKey(self), "1", "PX", ttlMillis).mapEmpty();
  }

  private void recoverFromLapsedNodes() {
    recovery.holders().compose(this::lapsed).compose(gone -> gone.isEmpty()
            ? Future.succeededFuture(0)
            : recovery.recoverFrom(gone::contains, "holder_lost"))
        .onSuccess(count -> {
          if (count > 0) {
            LOG.info(() -> "took back " + count + " job(s) held by nodes that are gone");
          }
        });
  }

  private Future<Set<String>> lapsed(List<Assignment> assignments) {
    List<String> others = assignments.stream().map(Assignment::node).filter(node -> !node.equals(self)).distinct().toList();
    if (others.isEmpty()) {
      return Future.succeededFuture(Set.of());
    }
    List<Future<Response>> checks = others.stream().map(node -> redis.send(Command.EXISTS, presenceKey(node))).toList();
    return Future.all(checks).map(v -> {
      Set<String> gone = new HashSet<>();
      for (int i = 0; i < others.size(); i++) {
        if (checks.get(i).result().toInteger() == 0) {
          gone.add(others.get(i));
        }
      }
      return gone;
    });
  }

  private String presenceKey(String node) {
    return redis.key("node", node);
  }
}
