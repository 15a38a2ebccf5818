package io.inferbus.verticles.jobs;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.shareddata.SharedData;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Jobs of a clustered node, in Vert.x shared async maps (Hazelcast, with backups); a node alone
 * uses {@link InMemoryJobStore}. Each job is one small entry, {job, events}, changed by
 * compare-and-set so concurrent writers on any node append in one order. A live job's holder and,
 * when small, its request share an entry of the assignments map (what recovery reads); large
 * results and requests live in maps of their own.
 */
public final class SharedDataJobStore implements JobStore {
  private static final String JOBS = "inferbus.jobs";
  private static final String RESULTS = "inferbus.results";
  private static final String REQUESTS = "inferbus.requests";
  private static final String ASSIGNMENTS = "inferbus.assignments";
  /** The assignment's field holding a small request. */
  private static final String REQUEST = "request";
  /** Requests whose inputs hold up to this many characters in all ride with the job's holder. */
  private static final int INLINE_REQUEST_CHARS = 2048;
  /** The entry's field holding a small result, written with the success. */
  private static final String RESULT = "result";


  private static final Logger LOG = Logger.getLogger(SharedDataJobStore.class.getName());

  private final SharedData sharedData;
  private final Clock clock;
  private final long retentionMillis;
  private final RetainedJobs retained;
  private final LastWritten<JsonObject> lastWritten = new LastWritten<>();

  /** @param retainedBytes heap for ended jobs this node stored; beyond it the oldest are forgotten early */
  public SharedDataJobStore(SharedData sharedData, Clock clock, Duration retention, long retainedBytes) {
    this.sharedData = sharedData;
    this.clock = clock;
    this.retentionMillis = retention.toMillis();
    this.retained = new RetainedJobs(retainedBytes, retentionMillis);
  }

  @Override
  public Future<Appended> create(JobRecord job, JobRequest request, JsonObject queuedData, String holder) {
    JobEvent first = JobEntry.firstEvent(job, queuedData);
    JsonObject entry = JobEntry.first(job, first);
    Future<JsonObject> stored = map(JOBS).compose(jobs -> jobs.putIfAbsent(job.id(), entry));
    Future<Void> requestApart = isSmall(request) ? Future.succeededFuture()
        : map(REQUESTS).compose(requests -> requests.put(job.id(), request.toJson()));
    Future<Void> assigned = map(ASSIGNMENTS).compose(m -> m.put(job.id(), holder(request, job.attempt(), holder)));
    return Future.all(requestApart, assigned, stored)
        .compose(v -> stored.result() == null
            ? Future.succeededFuture(new Appended(job, List.of(first)))
            : Future.failedFuture(new IllegalStateException("job " + job.id() + " exists")));
  }

  /** Compare-and-set compares the stored bytes, and the entry built again from the same record encodes to the same JSON. */
  @Override
  public void expect(JobRecord job, JsonObject queuedData) {
    lastWritten.remember(job.id(), JobEntry.first(job, JobEntry.firstEvent(job, queuedData)));
  }

  @Override
  public Future<Optional<JobRecord>> get(String id) {
    return map(JOBS).compose(jobs -> jobs.get(id)).compose(entry -> {
      if (entry == null) {
        return Future.succeededFuture(Optional.empty());
      }
      JobRecord job = JobEntry.job(entry);
      if (job.status() != JobStatus.SUCCEEDED) {
        return Future.succeededFuture(Optional.of(job));
      }
      return result(entry, id, job.attempt()).map(result -> Optional.of(job.withResult(result)));
    });
  }

  @Override
  public Future<Optional<Appended>> append(String id, int attempt, List<Proposal> proposals) {
    return change(id, JobEntry.appending(attempt, proposals), null);
  }

  /** A small result goes into the job's entry with the success, in the same write; a large one into the results map first. */
  @Override
  public Future<Optional<Appended>> succeed(String id, int attempt, List<Proposal> events, JsonObject result) {
    if (!JobJournal.isSmall(result)) {
      return JobStore.super.succeed(id, attempt, events, result);
    }
    retained.resultStored(id, attempt, result);
    return change(id, JobEntry.appending(attempt, events), result);
  }

  @Override
  public Future<Optional<Appended>> requeue(String id, int attempt, String reason) {
    return change(id, JobEntry.requeueing(id, attempt, reason), null);
  }

  /**
   * Compare-and-set loop: lets {@code decide} propose events on the entry, writes them if nobody
   * wrote meanwhile. The entry this node wrote last is taken as current without reading it (a job's
   * holder is usually its only writer); when someone else wrote since, the write is refused and the
   * loop reads the entry.
   */
  private Future<Optional<Appended>> change(String id, Function<JobRecord, List<Proposal>> decide, JsonObject result) {
    JsonObject known = lastWritten.get(id);
    return map(JOBS).compose(jobs -> (known != null ? Future.succeededFuture(known) : jobs.get(id)).compose(entry -> {
      Optional<JobEntry.Change> change = entry == null ? Optional.empty() : JobEntry.change(id, entry, decide, clock.millis());
      if (change.isEmpty()) {
        if (known != null) {
          lastWritten.forget(id, known);
          return change(id, decide, result);
        }
        return Future.succeededFuture(Optional.empty());
      }
      JsonObject updated = change.get().updated();
      if (result != null && change.get().appended().job().status() == JobStatus.SUCCEEDED) {
        updated.put(RESULT, result);
      }
      return jobs.replaceIfPresent(id, entry, updated)
          .compose(written -> written ? Future.succeededFuture(true) : ownWriteLanded(jobs, id, entry, updated))
          .compose(written -> {
            if (!written) {
              return change(id, decide, result);
            }
            JobRecord job = change.get().appended().job();
            if (job.status().terminal()) {
              lastWritten.forget(id);
              ended(jobs, id, updated);
              retained.ended(id, job.attempt(), clock.millis()).overBudget().forEach(this::forget);
            } else {
              lastWritten.remember(id, updated);
            }
            return Future.succeededFuture(Optional.of(change.get().appended()));
          });
    }));
  }

  /**
   * Whether a refused compare-and-set had in fact written: Hazelcast retries an operation whose
   * target member left, and the retry meets the write the first try made (now on the promoted
   * backup). Taken as refused, the loop would append the same events a second time, and a stream
   * would show a generated text's delta twice (seen once in ClusterFailoverIT's kill test). The
   * entry carries this write's time and events, so only this write can equal it. Otherwise the
   * entry read is what the loop decides on next, without reading it again.
   */
  private Future<Boolean> ownWriteLanded(AsyncMap<String, JsonObject> jobs, String id, JsonObject expected, JsonObject updated) {
    lastWritten.forget(id, expected);
    return jobs.get(id).map(current -> {
      if (current != null && current.encode().equals(updated.encode())) {
        return true;
      }
      if (current != null) {
        lastWritten.remember(id, current);
      }
      return false;
    });
  }


  /**
   * An ended job never changes again: start its retention time and forget what only live jobs
   * need. Not awaited: until it lands the job is merely kept longer, and recovery skips ended jobs.
   */
  private void ended(AsyncMap<String, JsonObject> jobs, String id, JsonObject entry) {
    Future<Void> forgetHolder = map(ASSIGNMENTS).compose(m -> m.remove(id))
        .compose(holder -> holder != null && holder.containsKey(REQUEST) ? Future.succeededFuture() : map(REQUESTS).compose(m -> m.remove(id)).mapEmpty());
    Future.all(jobs.put(id, entry, retentionMillis), forgetHolder)
        .onFailure(e -> LOG.log(Level.WARNING, "could not start the retention time of job " + id, e));
  }

  /** An ended job forgotten before its retention time, to stay within the memory budget: it answers 404 from now on. */
  private void forget(RetainedJobs.Ended job) {
    Future.all(map(JOBS).compose(m -> m.remove(job.id())), map(RESULTS).compose(m -> m.remove(resultKey(job.id(), job.attempt()))))
        .onFailure(e -> LOG.log(Level.WARNING, "could not forget job " + job.id(), e));
  }

  @Override
  public Future<Void> putResult(String id, int attempt, JsonObject result) {
    retained.resultStored(id, attempt, result);
    return map(RESULTS).compose(results -> results.put(resultKey(id, attempt), result, retentionMillis));
  }

  /** The succeeded attempt's result: in the entry when it was small, else in the results map. */
  private Future<JsonObject> result(JsonObject entry, String id, int attempt) {
    JsonObject inline = entry.getJsonObject(RESULT);
    return inline != null ? Future.succeededFuture(inline) : map(RESULTS).compose(results -> results.get(resultKey(id, attempt)));
  }

  private static String resultKey(String id, int attempt) {
    return id + "#" + attempt;
  }

  @Override
  public Future<List<JobEvent>> eventsAfter(String id, long seq) {
    return map(JOBS).compose(jobs -> jobs.get(id)).compose(entry -> {
      List<JobEvent> events = entry == null ? List.of() : JobEntry.eventsAfter(entry, seq);
      return JobEntry.endsWithResult(events) ? result(entry, id, JobEntry.job(entry).attempt()).map(result -> JobEntry.withResult(events, result)) : Future.succeededFuture(events);
    });
  }

  @Override
  public Future<Optional<JobRequest>> request(String id) {
    return map(ASSIGNMENTS).compose(holders -> holders.get(id)).compose(holder -> holder != null && holder.containsKey(REQUEST)
        ? Future.succeededFuture(holder.getJsonObject(REQUEST))
        : map(REQUESTS).compose(requests -> requests.get(id))).map(json -> Optional.ofNullable(json).map(JobRequest::fromJson));
  }

  /** A small request rides with its holder (one write instead of two, and one removal at the end); a large one has a map of its own. */
  @Override
  public Future<Void> assign(JobRequest request, int attempt, String node) {
    return map(ASSIGNMENTS).compose(m -> m.replace(request.id(), holder(request, attempt, node))).mapEmpty();
  }

  private static JsonObject holder(JobRequest request, int attempt, String node) {
    JsonObject holder = new JsonObject().put("attempt", attempt).put("node", node);
    if (isSmall(request)) {
      holder.put(REQUEST, request.toJson());
    }
    return holder;
  }

  private static boolean isSmall(JobRequest request) {
    int chars = 0;
    for (String input : request.inputs()) {
      chars += input.length();
    }
    return chars <= INLINE_REQUEST_CHARS;
  }

  @Override
  public Future<List<Assignment>> assignments() {
    return map(ASSIGNMENTS).compose(AsyncMap::entries).map(entries -> entries.entrySet().stream()
        .map(e -> new Assignment(e.getKey(), e.getValue().getInteger("attempt"), e.getValue().getString("node")))
        .toList());
  }

  private Future<AsyncMap<String, JsonObject>> map(String name) {
    return sharedData.getAsyncMap(name);
  }
}
