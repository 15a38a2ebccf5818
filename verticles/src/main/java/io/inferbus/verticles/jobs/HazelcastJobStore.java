package io.inferbus.verticles.jobs;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Jobs of a clustered node, in Hazelcast maps (with backups); a node alone uses
 * {@link InMemoryJobStore}. Each job is one entry of JSON text, {job, events}, changed by an entry
 * processor ({@link JobEntryProcessors}) on the member that owns it: concurrent writers on any node
 * append in one order, and a change costs one non-blocking round trip. A live job's holder and, when
 * small, its request share an entry of the assignments map (what recovery reads); large results and
 * requests live in maps of their own.
 */
public final class HazelcastJobStore implements JobStore {
  private static final String JOBS = "inferbus.jobs";
  private static final String RESULTS = "inferbus.results";
  private static final String REQUESTS = "inferbus.requests";
  private static final String ASSIGNMENTS = "inferbus.assignments";
  /** The assignment's field holding a small request. */
  private static final String REQUEST = "request";
  /** Requests whose inputs hold up to this many characters in all ride with the job's holder. */
  private static final int INLINE_REQUEST_CHARS = 2048;

  private static final Logger LOG = Logger.getLogger(HazelcastJobStore.class.getName());

  private final Vertx vertx;
  private final IMap<String, String> jobs;
  private final IMap<String, String> results;
  private final IMap<String, String> requests;
  private final IMap<String, String> assignments;
  private final Clock clock;
  private final long retentionMillis;
  private final RetainedJobs retained;
  private final String changeIds = UUID.randomUUID() + "#";
  private final AtomicLong changesMade = new AtomicLong();

  /** @param retainedBytes heap for ended jobs this node stored; beyond it the oldest are forgotten early */
  public HazelcastJobStore(Vertx vertx, HazelcastInstance hazelcast, Clock clock, Duration retention, long retainedBytes) {
    this.vertx = vertx;
    this.jobs = hazelcast.getMap(JOBS);
    this.results = hazelcast.getMap(RESULTS);
    this.requests = hazelcast.getMap(REQUESTS);
    this.assignments = hazelcast.getMap(ASSIGNMENTS);
    this.clock = clock;
    this.retentionMillis = retention.toMillis();
    this.retained = new RetainedJobs(retainedBytes, retentionMillis);
  }

  @Override
  public Future<Appended> create(JobRecord job, JobRequest request, JsonObject queuedData, String holder) {
    JobEvent first = JobEntry.firstEvent(job, queuedData);
    String entry = JobEntry.first(job, first).encode();
    Future<Boolean> stored = onContext(jobs.submitToKey(job.id(), JobEntryProcessors.SetIf.absent(entry)));
    Future<Void> requestApart = isSmall(request) ? Future.succeededFuture() : onContext(requests.setAsync(job.id(), request.toJson().encode()));
    Future<Void> assigned = onContext(assignments.setAsync(job.id(), holder(request, job.attempt(), holder)));
    return Future.all(requestApart, assigned, stored)
        .compose(v -> stored.result()
            ? Future.succeededFuture(new Appended(job, List.of(first)))
            : Future.failedFuture(new IllegalStateException("job " + job.id() + " exists")));
  }

  @Override
  public Future<Optional<JobRecord>> get(String id) {
    return entry(id).compose(entry -> JobEntry.job(entry, job -> result(entry.get(), id, job.attempt())));
  }

  @Override
  public Future<Optional<Appended>> append(String id, int attempt, List<Proposal> proposals) {
    return change(id, JobEntryProcessors.Change.appending(changeId(), attempt, proposals, null, clock.millis(), retentionMillis));
  }

  /** A small result goes into the job's entry with the success, in the same write; a large one into the results map first. */
  @Override
  public Future<Optional<Appended>> succeed(String id, int attempt, List<Proposal> events, JsonObject result) {
    if (!JobJournal.isSmall(result)) {
      return JobStore.super.succeed(id, attempt, events, result);
    }
    retained.resultStored(id, attempt, result);
    return change(id, JobEntryProcessors.Change.appending(changeId(), attempt, events, result, clock.millis(), retentionMillis));
  }

  @Override
  public Future<Optional<Appended>> requeue(String id, int attempt, String reason) {
    return change(id, JobEntryProcessors.Change.requeueing(changeId(), attempt, reason, clock.millis()));
  }

  /** Unique across nodes and restarts without a secure random number per change. */
  private String changeId() {
    return changeIds + changesMade.incrementAndGet();
  }

  private Future<Optional<Appended>> change(String id, JobEntryProcessors.Change change) {
    return onContext(jobs.submitToKey(id, change)).map(answer -> {
      if (answer == null) {
        return Optional.empty();
      }
      Appended appended = JobEntryProcessors.appended(answer);
      if (appended.job().status().terminal()) {
        ended(id, appended.job());
      }
      return Optional.of(appended);
    });
  }

  /**
   * An ended job never changes again (its entry's retention time started with the change that
   * ended it): forget what only live jobs need. Not awaited: until it lands the job merely keeps
   * a holder, and recovery skips ended jobs.
   */
  private void ended(String id, JobRecord job) {
    Future<Void> forgetHolder = onContext(assignments.removeAsync(id))
        .compose(holder -> holder != null && new JsonObject(holder).containsKey(REQUEST) ? Future.succeededFuture() : onContext(requests.removeAsync(id)).mapEmpty());
    forgetHolder.onFailure(e -> LOG.log(Level.WARNING, "could not forget the holder of job " + id, e));
    retained.ended(id, job.attempt(), clock.millis()).overBudget().forEach(this::forget);
  }

  /** An ended job forgotten before its retention time, to stay within the memory budget: it answers 404 from now on. */
  private void forget(RetainedJobs.Ended job) {
    Future.all(onContext(jobs.removeAsync(job.id())), onContext(results.removeAsync(resultKey(job.id(), job.attempt()))))
        .onFailure(e -> LOG.log(Level.WARNING, "could not forget job " + job.id(), e));
  }

  @Override
  public Future<Void> putResult(String id, int attempt, JsonObject result) {
    retained.resultStored(id, attempt, result);
    return onContext(results.setAsync(resultKey(id, attempt), result.encode(), retentionMillis, TimeUnit.MILLISECONDS));
  }

  /** The succeeded attempt's result: in the entry when it was small, else in the results map. */
  private Future<JsonObject> result(JsonObject entry, String id, int attempt) {
    JsonObject inline = entry.getJsonObject(JobEntryProcessors.RESULT);
    return inline != null ? Future.succeededFuture(inline)
        : onContext(results.getAsync(resultKey(id, attempt))).map(stored -> stored == null ? null : new JsonObject(stored));
  }

  private static String resultKey(String id, int attempt) {
    return id + "#" + attempt;
  }

  @Override
  public Future<List<JobEvent>> eventsAfter(String id, long seq) {
    return entry(id).compose(entry -> JobEntry.eventsAfter(entry, seq, job -> result(entry.get(), id, job.attempt())));
  }

  private Future<Optional<JsonObject>> entry(String id) {
    return onContext(jobs.getAsync(id)).map(stored -> Optional.ofNullable(stored).map(JsonObject::new));
  }

  @Override
  public Future<Optional<JobRequest>> request(String id) {
    return onContext(assignments.getAsync(id)).compose(holder -> {
      JsonObject held = holder == null ? null : new JsonObject(holder);
      return held != null && held.containsKey(REQUEST)
          ? Future.succeededFuture(held.getJsonObject(REQUEST))
          : onContext(requests.getAsync(id)).map(stored -> stored == null ? null : new JsonObject(stored));
    }).map(json -> Optional.ofNullable(json).map(JobRequest::fromJson));
  }

  /** A small request rides with its holder (one write instead of two, and one removal at the end); a large one has a map of its own. */
  @Override
  public Future<Void> assign(JobRequest request, int attempt, String node) {
    return onContext(assignments.submitToKey(request.id(), JobEntryProcessors.SetIf.present(holder(request, attempt, node)))).mapEmpty();
  }

  private static String holder(JobRequest request, int attempt, String node) {
    JsonObject holder = new JsonObject().put("attempt", attempt).put("node", node);
    if (isSmall(request)) {
      holder.put(REQUEST, request.toJson());
    }
    return holder.encode();
  }

  private static boolean isSmall(JobRequest request) {
    int chars = 0;
    for (String input : request.inputs()) {
      chars += input.length();
    }
    return chars <= INLINE_REQUEST_CHARS;
  }

  /** Reads the whole map, on a worker thread: only recovery asks, when a member leaves. */
  @Override
  public Future<List<Assignment>> assignments() {
    return vertx.executeBlocking(() -> assignments.entrySet().stream().map(e -> {
      JsonObject holder = new JsonObject(e.getValue());
      return new Assignment(e.getKey(), holder.getInteger("attempt"), holder.getString("node"));
    }).toList(), false);
  }

  /**
   * Hazelcast completes on its own threads; callers continue on the context they called from. The
   * callback is given an executor that runs it at once: without one, Hazelcast hands it to the
   * common fork-join pool, which with fewer than three cores starts a new thread for every callback.
   */
  private <T> Future<T> onContext(CompletionStage<T> stage) {
    Context context = vertx.getOrCreateContext();
    Promise<T> promise = Promise.promise();
    stage.whenCompleteAsync((value, failure) -> context.runOnContext(v -> {
      if (failure != null) {
        promise.fail(failure);
      } else {
        promise.complete(value);
      }
    }), Runnable::run);
    return promise.future();
  }
}
