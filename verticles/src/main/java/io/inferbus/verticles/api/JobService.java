package io.inferbus.verticles.api;

import io.inferbus.verticles.ErrorCode;
import io.inferbus.verticles.JobLog;
import io.inferbus.verticles.access.Caller;
import io.inferbus.verticles.access.RateDecision;
import io.inferbus.verticles.access.RateLimiter;
import io.inferbus.verticles.config.InferbusConfig;
import io.inferbus.verticles.dispatch.JobDispatcher;
import io.inferbus.verticles.jobs.JobJournal;
import io.inferbus.verticles.jobs.JobRecord;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import java.util.Locale;
import java.util.UUID;

/**
 * The one way in for clients, whatever they speak (HTTP, SSE, the event-bus bridge): the caller's
 * priority allowance and rate limit, then the intake; finding, following and cancelling jobs. A
 * rule lives here once, so it cannot differ between protocols.
 */
public final class JobService {
  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(JobService.class.getName());
  private final InferbusConfig config;
  private final JobIntake intake;
  private final JobJournal journal;
  private final JobDispatcher dispatcher;
  private final RateLimiter limiter;
  private final JobEventFeeds feeds;
  private volatile boolean draining;

  JobService(InferbusConfig config, JobIntake intake, JobJournal journal, JobDispatcher dispatcher, RateLimiter limiter,
      JobEventFeeds feeds) {
    this.feeds = feeds;
    this.config = config;
    this.intake = intake;
    this.journal = journal;
    this.dispatcher = dispatcher;
    this.limiter = limiter;
  }

  /** From now on new jobs are refused with {@code shutting_down}: this node is going away. */
  void startDraining() {
    draining = true;
  }

  boolean draining() {
    return draining;
  }

  /**
   * Admits the caller (priority allowance, then one token of its rate limit, whose decision
   * {@code limits} hears either way) and accepts the job.
   */
  public Future<JobRecord> submit(Caller caller, JobSubmission submission, Handler<RateDecision> limits) {
    if (!caller.mayUse(submission.priority())) {
      return Future.failedFuture(new ApiError(ErrorCode.PRIORITY_NOT_ALLOWED, (caller.anonymous() ? "anonymous callers" : "this API key")
          + " may submit jobs up to priority '" + caller.maxPriority().wireName() + "'"));
    }
    if (draining) {
      return Future.failedFuture(ApiError.shuttingDown(config.jobs().retryAfterSeconds()));
    }
    return limiter.take(caller.bucketId(), caller.bucket()).compose(decision -> {
      limits.handle(decision);
      return decision.allowed() ? intake.accept(submission) : Future.failedFuture(rateLimited(caller, decision));
    });
  }

  private static ApiError rateLimited(Caller caller, RateDecision decision) {
    String who = caller.anonymous() ? "anonymous callers (per IP address)" : "API keys of tier '" + caller.tier() + "'";
    return new ApiError(ErrorCode.RATE_LIMITED, "rate limit reached: " + who + " may send bursts of up to " + decision.bucket().burst()
        + " jobs, refilled at " + decision.bucket().perMinute() + " per minute; retry in " + decision.retryAfterSeconds() + " s",
        (int) decision.retryAfterSeconds());
  }

  public Future<JobRecord> find(String id) {
    if (!isUuid(id)) {
      return Future.failedFuture(ApiError.jobNotFound(id));
    }
    return journal.store().get(id).compose(job -> job.map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture(ApiError.jobNotFound(id))));
  }

  /** Cancels a job that has not ended: it leaves the queue, or stops at its next batch boundary or decode step. */
  public Future<JobRecord> cancel(String id) {
    return find(id).compose(job -> job.status().terminal()
        ? Future.failedFuture(alreadyEnded(job))
        : journal.cancel(job.id()).compose(cancelled -> {
          if (cancelled.isPresent()) {
            JobLog.event(LOG, id, cancelled.get().traceparent(), () -> "cancelled by its client");
            dispatcher.cancel(id);
            return Future.succeededFuture(cancelled.get());
          }
          return journal.store().get(id).compose(latest -> Future.failedFuture(alreadyEnded(latest.orElse(job))));
        }));
  }

  /** A client that stopped waiting for a job gives it up: cancelled unless it has already ended. */
  public void abandon(String id) {
    journal.cancel(id).onSuccess(cancelled -> cancelled.ifPresent(job -> dispatcher.cancel(id)));
  }

  /** The job's events after {@code afterSeq}, then live ones; {@code ended}: the job had ended when asked. */
  JobEventFeed events(String id, long afterSeq, boolean ended) {
    return feeds.feed(id, afterSeq, ended);
  }

  private static ApiError alreadyEnded(JobRecord job) {
    return new ApiError(ErrorCode.JOB_FINISHED, "job " + job.id() + " has already ended: " + job.status().wireName());
  }

  static boolean isUuid(String id) {
    try {
      return UUID.fromString(id).toString().equals(id.toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
