package io.inferbus.verticles.dispatch;

import io.inferbus.verticles.JobLog;
import io.inferbus.verticles.jobs.JobJournal;
import io.inferbus.verticles.jobs.JobStore;
import io.inferbus.verticles.metrics.JobMetrics;
import io.vertx.core.Future;
import io.inferbus.inference.UnconfirmedHandOvers;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Takes back live jobs whose holder is gone (or is leaving) and dispatches them again under a new
 * attempt. Taking back is a compare-and-set on the job's attempt, so when several nodes see the
 * same loss only one re-dispatches each job, and the lost holder's late reports are refused.
 */
public final class JobRecovery {
  private static final Logger LOG = Logger.getLogger(JobRecovery.class.getName());
  private final JobJournal journal;
  private final JobDispatcher dispatcher;
  private final JobMetrics metrics;
  private final String self;

  public JobRecovery(JobJournal journal, JobDispatcher dispatcher, JobMetrics metrics, String self) {
    this.journal = journal;
    this.dispatcher = dispatcher;
    this.metrics = metrics;
    this.self = self;
  }

  /**
   * Re-dispatches every live job held by a node that {@code gone} accepts, and those this node handed
   * to such a node before the store named it their holder; answers how many this node took back. The
   * latter do not wait for the store's holders to be read: only this node knows of them.
   */
  public Future<Integer> recoverFrom(Predicate<String> gone, String reason) {
    List<UnconfirmedHandOvers.HandOver> handedOver = dispatcher.takeBackUnconfirmed(gone);
    Set<String> handedOverIds = handedOver.stream().map(UnconfirmedHandOvers.HandOver::jobId).collect(Collectors.toSet());
    List<Future<Boolean>> fromHandOvers = handedOver.stream()
        .map(h -> takeBack(h.jobId(), h.attempt(), reason).onFailure(failure -> dispatcher.stillUnconfirmed(h)))
        .toList();
    Future<List<Future<Boolean>>> fromHolders = journal.store().assignments().map(assignments -> assignments.stream()
        .filter(a -> gone.test(a.node()) && !handedOverIds.contains(a.jobId()))
        .map(a -> takeBack(a.jobId(), a.attempt(), reason))
        .toList());
    return fromHolders.transform(read -> {
      List<Future<Boolean>> all = new ArrayList<>(fromHandOvers);
      if (read.succeeded()) {
        all.addAll(read.result());
      }
      return Future.join(all).transform(v -> read.failed() ? Future.failedFuture(read.cause())
          : Future.succeededFuture((int) all.stream().filter(f -> f.succeeded() && f.result()).count()));
    });
  }

  /** Every live job and the node that holds it. */
  public Future<List<JobStore.Assignment>> holders() {
    return journal.store().assignments();
  }

  /** For a holder that gives a job back itself (a worker draining on SIGTERM). */
  public Future<Boolean> takeBack(String jobId, int attempt, String reason) {
    return journal.requeue(jobId, attempt, reason).compose(requeued -> {
      if (requeued.isEmpty()) {
        return Future.succeededFuture(false);
      }
      int next = requeued.get().attempt();
      return journal.store().request(jobId).compose(request -> request
          .map(r -> journal.hold(r, next, self).map(v -> {
            JobLog.log(LOG, Level.INFO, jobId, r.traceparent(), () -> "taken back (" + reason + "), dispatched again as attempt " + next);
            metrics.redispatched(r.model(), reason);
            dispatcher.dispatch(r, next);
            return true;
          }))
          .orElseGet(() -> Future.succeededFuture(false)));
    });
  }
}
