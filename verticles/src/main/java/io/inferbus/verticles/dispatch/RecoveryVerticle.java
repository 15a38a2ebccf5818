package io.inferbus.verticles.dispatch;

import io.inferbus.verticles.cluster.HazelcastCluster;
import io.inferbus.verticles.worker.WorkerDirectory;
import io.inferbus.verticles.bus.BusAddresses;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.logging.Logger;

/**
 * Watches the cluster for lost members: their workers leave the directory and the live jobs they
 * held are dispatched again. A periodic sweep catches what a single event can miss (a holder
 * recorded just after its node left, a member lost while this node was starting); it leaves a node
 * that has been gone for less than one sweep to the membership event, which handles it at once.
 * Finding holders reads every job the store keeps, so the sweep runs only for a while after this
 * node started and after each departure, when there is something to catch.
 */
public final class RecoveryVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(RecoveryVerticle.class.getName());
  private static final long RESYNC_AGAIN_MILLIS = 2_000;
  /** Late writes (Hazelcast retries an operation for up to a minute) land well within this many sweeps. */
  private static final int SWEEPS_AFTER_A_CHANGE = 12;

  private final HazelcastCluster cluster;
  private final JobRecovery recovery;
  private final WorkerDirectory directory;
  private final long sweepMillis;
  private final Clock clock;
  private final Map<String, Long> missingSince = new HashMap<>();
  private long sweepUntil;

  public RecoveryVerticle(HazelcastCluster cluster, JobRecovery recovery, WorkerDirectory directory, long sweepMillis, Clock clock) {
    this.cluster = cluster;
    this.clock = clock;
    this.recovery = recovery;
    this.directory = directory;
    this.sweepMillis = sweepMillis;
  }

  @Override
  public Future<?> start() {
    cluster.onMemberLeft(node -> context.runOnContext(v -> handleMemberLeft(node)));
    keepSweeping();
    vertx.setPeriodic(sweepMillis, t -> sweepOrphans());
    return Future.succeededFuture();
  }

  private void keepSweeping() {
    sweepUntil = clock.millis() + SWEEPS_AFTER_A_CHANGE * sweepMillis;
  }

  private void handleMemberLeft(String node) {
    keepSweeping();
    long began = System.nanoTime();
    resyncFeeds();
    vertx.setTimer(RESYNC_AGAIN_MILLIS, t -> resyncFeeds());
    directory.forget(node::equals)
        .compose(v -> recovery.recoverFrom(node::equals, "worker_lost"))
        .onSuccess(count -> LOG.info(() -> "member " + node + " left; this node re-dispatched " + count + " job(s) in "
            + (System.nanoTime() - began) / 1_000_000 + " ms"));
  }

  /**
   * The departed member may have written a job's last events without publishing them: this node's
   * streams read their logs again, at once and once more when writes still in flight have landed.
   */
  private void resyncFeeds() {
    vertx.eventBus().publish(BusAddresses.RESYNC_FEEDS, null, new DeliveryOptions().setLocalOnly(true));
  }

  private void sweepOrphans() {
    Set<String> members = cluster.members();
    long now = clock.millis();
    if (now > sweepUntil) {
      return;
    }
    missingSince.entrySet().removeIf(e -> members.contains(e.getKey()) || now - e.getValue() > 100 * sweepMillis);
    Predicate<String> goneSinceLastSweep = node -> !members.contains(node) && now - missingSince.computeIfAbsent(node, n -> now) >= sweepMillis;
    directory.forget(goneSinceLastSweep)
        .compose(v -> recovery.recoverFrom(goneSinceLastSweep, "holder_lost"))
        .onSuccess(count -> {
          if (count > 0) {
            LOG.info(() -> "re-dispatched " + count + " job(s) held by departed nodes");
          }
        });
  }
}
