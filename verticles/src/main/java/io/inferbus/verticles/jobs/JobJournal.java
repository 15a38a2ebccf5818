package io.inferbus.verticles.jobs;

import io.inferbus.verticles.ErrorCode;
import io.inferbus.verticles.bus.BusAddresses;
import io.inferbus.verticles.metrics.JobMetrics;
import io.vertx.core.Future;
import io.inferbus.verticles.cache.ResultCache;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.inferbus.verticles.jobs.JobStore.Proposal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The one way a job changes: append the event to the job's log (the source of truth), then
 * publish it as news for whoever streams it (see {@link BusAddresses#JOB_EVENTS}). What a worker reports
 * is retried while the store is unavailable, so a finished job's result outlives a store outage.
 */
public final class JobJournal {
  /** About 100 KB of JSON: results up to this many numbers ride along with their event. */
  private static final int INLINE_RESULT_VALUES = 8192;
  private static final long FIRST_RETRY_MILLIS = 100;
  private static final long LAST_RETRY_MILLIS = 5_000;

  private final Vertx vertx;
  private final JobStore store;
  private final ResultCache cache;
  private final JobMetrics metrics;
  private final RecentEvents recent;
  private volatile boolean closed;

  public JobJournal(Vertx vertx, JobStore store, RecentEvents recent, ResultCache cache, JobMetrics metrics) {
    this.vertx = vertx;
    this.store = store;
    this.recent = recent;
    this.cache = cache;
    this.metrics = metrics;
  }

  public JobStore store() {
    return store;
  }

  /** What this node knows of its recently opened jobs' logs without asking the store. */
  public RecentEvents recent() {
    return recent;
  }

  /**
   * Records a new job, held by {@code holder} until a worker takes it. This node keeps the job's
   * events from now on, in case the job goes to its worker before the record lands.
   */
  public Future<JobRecord> open(JobRequest request, String holder) {
    JobRecord job = JobRecord.queued(request);
    recent.opened(job.id());
    return store.create(job, request, queuedData(job.id()), holder)
        .map(appended -> {
          metrics.submitted(appended.job());
          publish(appended.events(), null, appended.job().traceparent());
          return appended.job();
        });
  }

  /** The worker on {@code node} took the job from its dispatcher (see {@link JobStore#taken}). */
  public void taken(JobRequest request, int attempt, String node) {
    if (attempt == 1) {
      store.taken(request, queuedData(request.id()), node);
    }
  }

  /** Whether the job may go to a worker while {@link #open} is still writing it (see {@link JobStore#sendsBeforeCreated}). */
  public boolean sendsBeforeCreated(JobRequest request) {
    return store.sendsBeforeCreated(request);
  }

  /**
   * A worker's start that is not in the log yet: it is written with the job's next change (its first
   * progress, or its end), or alone when none follows soon, so a short job's start costs no write of
   * its own. Its event keeps the time the job started.
   */
  public record Start(String node, int attempt, long at) {
    Proposal event() {
      return new Proposal(JobEventType.STARTED, new JsonObject().put("worker", node).put("attempt", attempt), at);
    }
  }

  /** The start alone; empty when refused (ended, or another attempt is current). */
  public Future<Optional<JobRecord>> start(String jobId, Start start) {
    return write(jobId, start.attempt(), List.of(), null, start);
  }

  private static JsonObject queuedData(String jobId) {
    return new JsonObject().put("id", jobId).put("status", JobStatus.QUEUED.wireName());
  }

  /** Records which node holds the live job's current attempt: the node recovery asks about when members leave. */
  public Future<Void> hold(JobRequest request, int attempt, String node) {
    return store.assign(request, attempt, node);
  }

  /** Empty when the event was refused: the job has ended, is unknown, or {@code attempt} is not its current one. */
  public Future<Optional<JobRecord>> record(String jobId, int attempt, JobEventType type, JsonObject data) {
    return record(jobId, attempt, type, data, null);
  }

  /** The event, after the worker's start when that is not written yet ({@code unwritten}, else null). */
  public Future<Optional<JobRecord>> record(String jobId, int attempt, JobEventType type, JsonObject data, Start unwritten) {
    return write(jobId, attempt, List.of(new Proposal(type, data)), null, unwritten);
  }

  /**
   * The last batch's progress and the success, in one step, once the result is stored where
   * readers find it; the result is cached first, so an identical job arriving after the success finds it.
   */
  public Future<Optional<JobRecord>> succeed(JobRequest request, int attempt, JsonObject finalProgress, JsonObject result, Start unwritten) {
    Future<Void> cached = request.cacheKey() != null ? cache.put(request.cacheKey(), result) : Future.succeededFuture();
    List<Proposal> events = List.of(
        new Proposal(JobEventType.PROGRESS, finalProgress),
        new Proposal(JobEventType.SUCCEEDED, new JsonObject().put("status", JobStatus.SUCCEEDED.wireName())));
    return cached.compose(v -> write(request.id(), attempt, events, result, unwritten));
  }

  /** A job answered without running: the same events a run would give, the success marked {@code cached}. */
  public Future<Optional<JobRecord>> succeedWithoutRunning(String jobId, int attempt, int total, JsonObject result) {
    List<Proposal> events = List.of(
        new Proposal(JobEventType.STARTED, new JsonObject().put("attempt", attempt).put("cached", true)),
        new Proposal(JobEventType.PROGRESS, new JsonObject().put("done", total).put("total", total)),
        new Proposal(JobEventType.SUCCEEDED, new JsonObject().put("status", JobStatus.SUCCEEDED.wireName()).put("cached", true)));
    return observed(store.succeed(jobId, attempt, events, result), result);
  }

  public Future<Optional<JobRecord>> fail(String jobId, int attempt, ErrorCode code, String message) {
    return fail(jobId, attempt, code, message, null);
  }

  public Future<Optional<JobRecord>> fail(String jobId, int attempt, ErrorCode code, String message, Start unwritten) {
    JsonObject error = new JsonObject().put("code", code.wireName()).put("message", message);
    return record(jobId, attempt, JobEventType.FAILED, new JsonObject().put("status", JobStatus.FAILED.wireName()).put("error", error), unwritten);
  }

  /** A job still waiting at its deadline ends here; one that started is not stopped by it. */
  public Future<Optional<JobRecord>> expire(String jobId, int attempt) {
    JsonObject error = new JsonObject().put("code", ErrorCode.DEADLINE_PASSED.wireName()).put("message", "the job was still queued at its deadline");
    return record(jobId, attempt, JobEventType.EXPIRED, new JsonObject().put("status", JobStatus.EXPIRED.wireName()).put("error", error));
  }

  public Future<Optional<JobRecord>> cancel(String jobId) {
    return record(jobId, JobStore.ANY_ATTEMPT, JobEventType.CANCELLED, new JsonObject().put("status", JobStatus.CANCELLED.wireName()));
  }

  /** Takes the job back from the holder of {@code attempt}; empty when someone else already did, or it ended. */
  public Future<Optional<JobRecord>> requeue(String jobId, int attempt, String reason) {
    return whileStoreDown(() -> observed(store.requeue(jobId, attempt, reason), null));
  }

  /** One change of a job's log, retried while the store is down; a worker's unwritten start goes first, making it the holder. */
  private Future<Optional<JobRecord>> write(String jobId, int attempt, List<Proposal> events, JsonObject result, Start unwritten) {
    if (unwritten == null) {
      return whileStoreDown(() -> observed(result == null ? store.append(jobId, attempt, events) : store.succeed(jobId, attempt, events, result), result));
    }
    List<Proposal> started = new ArrayList<>(events.size() + 1);
    started.add(unwritten.event());
    started.addAll(events);
    return whileStoreDown(() -> observed(store.start(jobId, attempt, unwritten.node(), started, result), result));
  }

  private <T> Future<T> whileStoreDown(Supplier<Future<T>> write) {
    return retrying(write, FIRST_RETRY_MILLIS);
  }

  /** Stops retrying writes the store could not take: a node that is going away leaves them to recovery. */
  public void close() {
    closed = true;
  }

  private <T> Future<T> retrying(Supplier<Future<T>> write, long backoffMillis) {
    return write.get().recover(failure -> {
      if (!(failure instanceof StoreUnavailableException) || closed) {
        return Future.failedFuture(failure);
      }
      Promise<T> retried = Promise.promise();
      vertx.setTimer(backoffMillis, t -> retrying(write, Math.min(LAST_RETRY_MILLIS, backoffMillis * 2)).onComplete(retried));
      return retried.future();
    });
  }

  private Future<Optional<JobRecord>> observed(Future<Optional<JobStore.Appended>> appending, JsonObject result) {
    return appending.map(appended -> appended.map(a -> {
      for (JobEvent event : a.events()) {
        if (event.type() == JobEventType.STARTED && a.job().started() == event.at()) {
          metrics.started(a.job());
        } else if (event.type().terminal()) {
          metrics.finished(a.job());
        }
      }
      publish(a.events(), result, a.job().traceparent());
      return a.job();
    }));
  }

  /**
   * The events of one change leave as one message. Events travel whole, except a large result: its
   * {@code succeeded} event goes as a notice and listeners read the result from the store, so it is
   * not copied to every node that listens.
   */
  private void publish(List<JobEvent> events, JsonObject result, String traceparent) {
    List<JobEvent> messages = events.stream().map(event -> event.type() != JobEventType.SUCCEEDED ? event
        : result != null && isSmall(result) ? new JobEvent(event.jobId(), event.seq(), event.type(), event.data().copy().put("result", result), event.at())
        : event.notice()).toList();
    DeliveryOptions options = new DeliveryOptions();
    if (traceparent != null) {
      options.addHeader(Traceparent.HEADER, traceparent);
    }
    messages.forEach(recent::seen);
    vertx.eventBus().publish(BusAddresses.JOB_EVENTS, messages.size() == 1 ? messages.get(0) : new JobEventBatch(messages), options);
  }

  static boolean isSmall(JsonObject result) {
    JsonArray embeddings = result.getJsonArray("embeddings");
    return embeddings == null || embeddings.size() * result.getInteger("dimensions", 0) <= INLINE_RESULT_VALUES;
  }
}
