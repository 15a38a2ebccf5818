package io.inferbus.verticles.api;

import io.inferbus.verticles.ErrorCode;
import io.inferbus.verticles.JobLog;
import io.inferbus.verticles.cache.CacheKey;
import io.inferbus.verticles.cache.JobClaims;
import io.inferbus.verticles.cache.ResultCache;
import io.inferbus.verticles.config.InferbusConfig;
import io.inferbus.verticles.dispatch.JobDispatcher;
import io.inferbus.verticles.jobs.JobEvent;
import io.inferbus.verticles.jobs.JobEventType;
import io.inferbus.verticles.jobs.JobJournal;
import io.inferbus.verticles.jobs.JobRecord;
import io.inferbus.verticles.jobs.JobRequest;
import io.inferbus.verticles.jobs.Traceparent;
import io.inferbus.verticles.worker.WorkerDirectory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * Where a job is accepted. A job whose result is cached is answered at once; one identical to a
 * job in flight follows that job; any other is refused now if it could not run, or recorded and
 * handed to the dispatcher. Nothing is accepted that the job store could not record.
 */
final class JobIntake {
  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(JobIntake.class.getName());
  private final InferbusConfig config;
  private final JobJournal journal;
  private final JobDispatcher dispatcher;
  private final WorkerDirectory directory;
  private final ResultCache cache;
  private final JobClaims claims;
  private final JobEventFeeds feeds;
  private final BooleanSupplier storeAvailable;
  private final Clock clock;
  private final String nodeId;
  private final Counter followed;

  JobIntake(InferbusConfig config, JobJournal journal, JobDispatcher dispatcher, WorkerDirectory directory,
      ResultCache cache, JobClaims claims, JobEventFeeds feeds, BooleanSupplier storeAvailable, Clock clock, String nodeId, MeterRegistry registry) {
    this.feeds = feeds;
    this.config = config;
    this.journal = journal;
    this.dispatcher = dispatcher;
    this.directory = directory;
    this.cache = cache;
    this.claims = claims;
    this.storeAvailable = storeAvailable;
    this.clock = clock;
    this.nodeId = nodeId;
    this.followed = Counter.builder("inferbus_jobs_followed")
        .description("Jobs answered by an identical job that was in flight when they arrived (single flight)")
        .register(registry);
  }

  Future<JobRecord> accept(JobSubmission submission) {
    if (!storeAvailable.getAsBoolean()) {
      return Future.failedFuture(storeUnavailable());
    }
    String key = config.cache().enabled() ? CacheKey.of(submission.model(), submission.task(), submission.resultParameters(), submission.inputs()) : null;
    Future<Optional<JsonObject>> cached = key == null ? Future.succeededFuture(Optional.empty()) : cache.get(key);
    return cached.compose(hit -> hit.isPresent() ? answerFromCache(submission, key, hit.get()) : run(submission, key));
  }

  private Future<JobRecord> answerFromCache(JobSubmission submission, String key, JsonObject result) {
    JobRequest request = request(submission, key);
    JobLog.event(LOG, request.id(), request.traceparent(), () -> "answered from the cache");
    return journal.open(request, nodeId)
        .compose(opened -> journal.succeedWithoutRunning(opened.id(), opened.attempt(), opened.total(), result).map(done -> done.orElse(opened)));
  }

  private Future<JobRecord> run(JobSubmission submission, String key) {
    String model = submission.model().id();
    if (dispatcher.breakerOpen(model)) {
      return Future.failedFuture(noWorker(model));
    }
    if (dispatcher.full(model, submission.priority())) {
      return Future.failedFuture(new ApiError(ErrorCode.QUEUE_FULL, "the " + submission.priority().wireName() + " queue of model '" + model
          + "' is full; retry later", config.jobs().retryAfterSeconds()));
    }
    return directory.hasWorker(model).compose(hasWorker -> {
      if (!hasWorker) {
        return Future.failedFuture(noWorker(model));
      }
      JobRequest request = request(submission, key);
      Future<Optional<String>> leader = key == null ? Future.succeededFuture(Optional.empty())
          : claims.claim(key, request.id(), submission.deadlineMs());
      return leader.compose(leading -> {
        boolean sentWhileRecorded = leading.isEmpty() && journal.sendsBeforeCreated(request);
        Future<JobRecord> recorded = journal.open(request, nodeId);
        if (sentWhileRecorded) {
          dispatcher.dispatchWhileRecorded(request, recorded);
        }
        return recorded.onSuccess(opened -> {
          JobLog.event(LOG, request.id(), request.traceparent(), () -> "accepted: " + request.task().wireName() + " on " + model + ", "
              + request.inputs().size() + " input(s), priority " + request.priority().wireName()
              + (leading.isPresent() ? ", following identical job " + leading.get() : ""));
          if (leading.isPresent()) {
            follow(leading.get(), request, opened);
          } else if (!sentWhileRecorded) {
            dispatcher.dispatch(request, opened.attempt());
          }
        });
      });
    });
  }

  /** Waits for the leader's end: its success answers this job too; any other end, and this job runs itself. */
  private void follow(String leaderId, JobRequest request, JobRecord follower) {
    JobEventFeed feed = feeds.feed(leaderId, 0, false);
    feed.start(event -> {
      if (event.type().terminal()) {
        leaderEnded(event, request, follower);
      }
    }, () -> {}).onFailure(failure -> dispatcher.dispatch(request, follower.attempt()));
    journal.store().get(leaderId).onSuccess(leader -> {
      if (leader.isEmpty()) {
        feed.close();
        dispatcher.dispatch(request, follower.attempt());
      }
    });
  }

  private void leaderEnded(JobEvent end, JobRequest request, JobRecord follower) {
    JsonObject result = end.type() == JobEventType.SUCCEEDED ? end.data().getJsonObject("result") : null;
    if (result == null) {
      dispatcher.dispatch(request, follower.attempt());
      return;
    }
    followed.increment();
    journal.succeedWithoutRunning(follower.id(), follower.attempt(), follower.total(), result);
  }

  private JobRequest request(JobSubmission submission, String key) {
    long now = clock.millis();
    return new JobRequest(UUID.randomUUID().toString(), submission.task(), submission.model().id(), submission.priority(), now,
        now + submission.deadlineMs(), submission.inputs(), key, submission.maxNewTokens(),
        submission.traceparent() != null ? submission.traceparent() : Traceparent.begin());
  }


  private ApiError noWorker(String model) {
    return ApiError.noWorker(model, config.jobs().retryAfterSeconds());
  }

  private ApiError storeUnavailable() {
    return ApiError.storeUnavailable(config.jobs().retryAfterSeconds());
  }
}
