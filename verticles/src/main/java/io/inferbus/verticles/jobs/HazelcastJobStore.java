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
import java.util.Collections;
import java.util.LinkedHashMap;
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
 * {@link InMemoryJobStore}. Each job is one entry of JSON text, {holder, job, events, request},
 * changed by an entry processor ({@link JobEntryProcessors}) on the member that owns it: concurrent
 * writers on any node append in one order, and a change costs one non-blocking round trip. A live
 * job's holder and small request ride in its entry, so creating a job, handing it to a worker and
 * ending it touch no other map; large results and requests live in maps of their own.
 */
public final class HazelcastJobStore implements JobStore {
  private static final String JOBS = "inferbus.jobs";
  private static final String RESULTS = "inferbus.results";
  private static final String REQUESTS = "inferbus.requests";
  /** Requests whose inputs hold up to this many characters in all ride in the job's entry. */
  private static final int INLINE_REQUEST_CHARS = 2048;
  /** Far more jobs than a node takes while one creation is on its way. */
  private static final int FIRST_ENTRIES_KEPT = 10_000;

  private static final Logger LOG = Logger.getLogger(HazelcastJobStore.class.getName());

  private final Vertx vertx;
  private final IMap<String, String> jobs;
  private final IMap<String, String> results;
  private final IMap<String, String> requests;
  private final Clock clock;
  private final long retentionMillis;
  private final RetainedJobs retained;
  private final String changeIds = UUID.randomUUID() + "#";
  private final AtomicLong changesMade = new AtomicLong();
  /**
   * First entries of jobs this node's workers took, as {@link #create} writes them, until the job's
   * first change from here (which writes it, should the creation still be on its way).
   */
  private final Map<String, String> firstEntries = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > FIRST_ENTRIES_KEPT;
    }
  });

  /** @param retainedBytes heap for ended jobs this node stored; beyond it the oldest are forgotten early */
  public HazelcastJobStore(Vertx vertx, HazelcastInstance hazelcast, Clock clock, Duration retention, long retainedBytes) {
    this.vertx = vertx;
    this.jobs = hazelcast.getMap(JOBS);
    this.results = hazelcast.getMap(RESULTS);
    this.requests = hazelcast.getMap(REQUESTS);
    this.clock = clock;
    this.retentionMillis = retention.toMillis();
    this.retained = new RetainedJobs(retainedBytes, retentionMillis);
  }

  @Override
  public Future<Appended> create(JobRecord job, JobRequest request, JsonObject queuedData, String holder) {
    JobEvent first = JobEntry.firstEvent(job, queuedData);
    Future<Void> stored = onContext(jobs.submitToKey(job.id(), new JobEntryProcessors.Create(firstEntry(job, request, queuedData, holder))));
    Future<Void> requestApart = isSmall(request) ? Future.succeededFuture() : onContext(requests.setAsync(job.id(), request.toJson().encode()));
    return Future.all(requestApart, stored).map(v -> new Appended(job, List.of(first)));
  }

  /** Its holder first, so that a scan for live jobs tells them apart by their first characters. */
  private static String firstEntry(JobRecord job, JobRequest request, JsonObject queuedData, String holder) {
    JsonObject entry = JobEntryProcessors.heldBy(JobEntryProcessors.holder(job.attempt(), holder), JobEntry.first(job, JobEntry.firstEvent(job, queuedData)));
    if (isSmall(request)) {
      entry.put(JobEntryProcessors.REQUEST, request.toJson());
    } else {
      entry.put(JobEntryProcessors.REQUEST_APART, true);
    }
    return entry.encode();
  }

  /**
   * A job with a small request may go to its worker before its creation lands: the worker's first
   * change then writes the entry as {@link #create} would (both build it from the request), and the
   * creation finds it there.
   */
  @Override
  public boolean sendsBeforeCreated(JobRequest request) {
    return isSmall(request);
  }

  @Override
  public void taken(JobRequest request, JsonObject queuedData, String node) {
    if (isSmall(request)) {
      firstEntries.put(request.id(), firstEntry(JobRecord.queued(request), request, queuedData, node));
    }
  }

  @Override
  public boolean startNamesHolder() {
    return true;
  }

  @Override
  public Future<Optional<Appended>> start(String id, int attempt, String node, List<Proposal> events, JsonObject result) {
    return write(id, attempt, events, result, node);
  }

  @Override
  public Future<Optional<JobRecord>> get(String id) {
    return entry(id).compose(entry -> JobEntry.job(entry, job -> result(entry.get(), id, job.attempt())));
  }

  @Override
  public Future<Optional<Appended>> append(String id, int attempt, List<Proposal> proposals) {
    return write(id, attempt, proposals, null, null);
  }

  @Override
  public Future<Optional<Appended>> succeed(String id, int attempt, List<Proposal> events, JsonObject result) {
    return write(id, attempt, events, result, null);
  }

  /**
   * A small result goes into the job's entry with the success, in the same write; a large one into
   * the results map first. A worker that starts the job becomes its holder ({@code heldBy}) in the same write.
   */
  private Future<Optional<Appended>> write(String id, int attempt, List<Proposal> events, JsonObject result, String heldBy) {
    if (result != null && !JobJournal.isSmall(result)) {
      return putResult(id, attempt, result).compose(v -> write(id, attempt, events, null, heldBy));
    }
    if (result != null) {
      retained.resultStored(id, attempt, result);
    }
    JobEntryProcessors.Change change = JobEntryProcessors.Change.appending(changeId(), attempt, events, result, clock.millis(), retentionMillis);
    return change(id, heldBy == null ? change : change.heldBy(heldBy));
  }

  @Override
  public Future<Optional<Appended>> requeue(String id, int attempt, String reason) {
    return change(id, JobEntryProcessors.Change.requeueing(changeId(), attempt, reason, clock.millis()));
  }

  /** Unique across nodes and restarts without a secure random number per change. */
  private String changeId() {
    return changeIds + changesMade.incrementAndGet();
  }

  /**
   * A job taken here whose entry is not there yet (its creation is still on its way) is written as
   * the creation would first, by the same change sent again with the entry: rare, so the entry does
   * not travel with every first change.
   */
  private Future<Optional<Appended>> change(String id, JobEntryProcessors.Change change) {
    return onContext(jobs.submitToKey(id, change)).compose(answer -> {
      String firstEntry = firstEntries.remove(id);
      return JobEntryProcessors.ABSENT.equals(answer) && firstEntry != null
          ? onContext(jobs.submitToKey(id, change.orCreating(firstEntry)))
          : Future.succeededFuture(answer);
    }).map(answer -> {
      if (answer == null || JobEntryProcessors.ABSENT.equals(answer)) {
        return Optional.empty();
      }
      JsonObject json = new JsonObject(answer);
      Appended appended = JobEntryProcessors.appended(json);
      if (appended.job().status().terminal()) {
        ended(id, appended.job(), json.getBoolean(JobEntryProcessors.REQUEST_APART, false));
      }
      return Optional.of(appended);
    });
  }

  /**
   * An ended job never changes again (its entry's retention time started with the change that
   * ended it, which also dropped its holder and small request): forget a large request.
   */
  private void ended(String id, JobRecord job, boolean requestApart) {
    if (requestApart) {
      onContext(requests.removeAsync(id)).onFailure(e -> LOG.log(Level.WARNING, "could not forget the request of job " + id, e));
    }
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

  /** A live job's request: in its entry when small, else in the requests map; none once the job has ended. */
  @Override
  public Future<Optional<JobRequest>> request(String id) {
    return entry(id).compose(entry -> {
      JsonObject inline = entry.map(e -> e.getJsonObject(JobEntryProcessors.REQUEST)).orElse(null);
      return inline != null || !entry.map(e -> e.getBoolean(JobEntryProcessors.REQUEST_APART, false)).orElse(false)
          ? Future.succeededFuture(inline)
          : onContext(requests.getAsync(id)).map(stored -> stored == null ? null : new JsonObject(stored));
    }).map(json -> Optional.ofNullable(json).map(JobRequest::fromJson));
  }

  @Override
  public Future<Void> assign(JobRequest request, int attempt, String node) {
    return onContext(jobs.submitToKey(request.id(), new JobEntryProcessors.Hold(attempt, node))).mapEmpty();
  }

  private static boolean isSmall(JobRequest request) {
    int chars = 0;
    for (String input : request.inputs()) {
      chars += input.length();
    }
    return chars <= INLINE_REQUEST_CHARS;
  }

  /**
   * Scans every entry where it lives (the first characters of an ended job's tell it apart), on a
   * worker thread: only recovery asks, when members leave.
   */
  @Override
  public Future<List<Assignment>> assignments() {
    return vertx.executeBlocking(() -> jobs.project(new JobEntryProcessors.HolderOf(), new JobEntryProcessors.LiveJobs()).stream().map(line -> {
      int split = line.indexOf('\n');
      JsonObject holder = new JsonObject(line.substring(split + 1));
      return new Assignment(line.substring(0, split), holder.getInteger("attempt"), holder.getString("node"));
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
