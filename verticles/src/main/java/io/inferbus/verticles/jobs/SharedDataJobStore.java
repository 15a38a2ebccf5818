package io.inferbus.verticles.jobs;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.shareddata.SharedData;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Jobs in Vert.x shared async maps: local to the JVM by default, cluster-wide (Hazelcast, with
 * backups) on a clustered node. Each job is one small entry, {job, events}, changed by
 * compare-and-set so concurrent writers on any node append in one order; results and requests,
 * which can be large, live in maps of their own.
 */
public final class SharedDataJobStore implements JobStore {
  private static final String JOBS = "inferbus.jobs";
  private static final String RESULTS = "inferbus.results";
  private static final String REQUESTS = "inferbus.requests";
  private static final String ASSIGNMENTS = "inferbus.assignments";

  private static final Logger LOG = Logger.getLogger(SharedDataJobStore.class.getName());

  private final SharedData sharedData;
  private final Clock clock;
  private final long retentionMillis;

  public SharedDataJobStore(SharedData sharedData, Clock clock, Duration retention) {
    this.sharedData = sharedData;
    this.clock = clock;
    this.retentionMillis = retention.toMillis();
  }

  @Override
  public Future<Appended> create(JobRecord job, JobRequest request, JsonObject queuedData, String holder) {
    JobEvent first = new JobEvent(job.id(), 1, JobEventType.QUEUED, queuedData, job.created());
    JsonObject entry = new JsonObject().put("job", job.toStored()).put("events", new JsonArray().add(first.toJson()));
    Future<JsonObject> stored = map(JOBS).compose(jobs -> jobs.putIfAbsent(job.id(), entry));
    return Future.all(map(REQUESTS).compose(requests -> requests.put(job.id(), request.toJson())), assign(job.id(), job.attempt(), holder), stored)
        .compose(v -> stored.result() == null
            ? Future.succeededFuture(new Appended(job, List.of(first)))
            : Future.failedFuture(new IllegalStateException("job " + job.id() + " exists")));
  }

  @Override
  public Future<Optional<JobRecord>> get(String id) {
    return map(JOBS).compose(jobs -> jobs.get(id)).compose(entry -> {
      if (entry == null) {
        return Future.succeededFuture(Optional.empty());
      }
      JobRecord job = JobRecord.fromStored(entry.getJsonObject("job"));
      if (job.status() != JobStatus.SUCCEEDED) {
        return Future.succeededFuture(Optional.of(job));
      }
      return result(id).map(result -> Optional.of(job.withResult(result)));
    });
  }

  @Override
  public Future<Optional<Appended>> append(String id, int attempt, List<Proposal> proposals) {
    return change(id, job -> {
      if (attempt != ANY_ATTEMPT && attempt != job.attempt()) {
        return List.of();
      }
      return proposals.stream()
          .filter(p -> p.type() != JobEventType.PROGRESS || p.data().getInteger("done") > job.done())
          .toList();
    });
  }

  @Override
  public Future<Optional<Appended>> requeue(String id, int attempt, String reason) {
    return change(id, job -> job.attempt() != attempt
        ? List.of()
        : List.of(new Proposal(JobEventType.QUEUED,
            new JsonObject().put("id", id).put("status", "queued").put("attempt", attempt + 1).put("reason", reason))));
  }

  /** Compare-and-set loop: reads the entry, lets {@code decide} propose events, writes them if nobody wrote meanwhile. */
  private Future<Optional<Appended>> change(String id, Function<JobRecord, List<Proposal>> decide) {
    return map(JOBS).compose(jobs -> jobs.get(id).compose(entry -> {
      if (entry == null) {
        return Future.succeededFuture(Optional.empty());
      }
      JobRecord job = JobRecord.fromStored(entry.getJsonObject("job"));
      List<Proposal> proposals = job.status().terminal() ? List.of() : decide.apply(job);
      if (proposals.isEmpty()) {
        return Future.succeededFuture(Optional.empty());
      }
      JsonArray log = entry.getJsonArray("events").copy();
      List<JobEvent> added = new ArrayList<>();
      JobRecord next = job;
      long now = clock.millis();
      for (Proposal proposal : proposals) {
        JobEvent event = new JobEvent(id, log.size() + 1L, proposal.type(), proposal.data(), now);
        log.add(event.toJson());
        added.add(event);
        next = next.apply(event);
      }
      JsonObject updated = new JsonObject().put("job", next.toStored()).put("events", log);
      Appended appended = new Appended(next, List.copyOf(added));
      return jobs.replaceIfPresent(id, entry, updated).compose(written -> {
        if (!written) {
          return change(id, decide);
        }
        if (appended.job().status().terminal()) {
          ended(jobs, id, updated);
        }
        return Future.succeededFuture(Optional.of(appended));
      });
    }));
  }

  /**
   * An ended job never changes again: start its retention time and forget what only live jobs
   * need. Not awaited: until it lands the job is merely kept longer, and recovery skips ended jobs.
   */
  private void ended(AsyncMap<String, JsonObject> jobs, String id, JsonObject entry) {
    Future.all(jobs.put(id, entry, retentionMillis), map(REQUESTS).compose(m -> m.remove(id)), map(ASSIGNMENTS).compose(m -> m.remove(id)))
        .onFailure(e -> LOG.log(Level.WARNING, "could not start the retention time of job " + id, e));
  }

  @Override
  public Future<Void> putResult(String id, JsonObject result) {
    return map(RESULTS).compose(results -> results.put(id, result, retentionMillis));
  }

  private Future<JsonObject> result(String id) {
    return map(RESULTS).compose(results -> results.get(id));
  }

  @Override
  public Future<List<JobEvent>> eventsAfter(String id, long seq) {
    return map(JOBS).compose(jobs -> jobs.get(id)).compose(entry -> {
      if (entry == null) {
        return Future.succeededFuture(List.<JobEvent>of());
      }
      JsonArray stored = entry.getJsonArray("events");
      List<JobEvent> events = new ArrayList<>();
      for (int i = (int) Math.max(0, seq); i < stored.size(); i++) {
        events.add(JobEvent.fromJson(stored.getJsonObject(i)));
      }
      boolean endsWithResult = !events.isEmpty() && events.get(events.size() - 1).type() == JobEventType.SUCCEEDED;
      if (!endsWithResult) {
        return Future.succeededFuture(events);
      }
      return result(id).map(result -> {
        JobEvent last = events.remove(events.size() - 1);
        events.add(new JobEvent(id, last.seq(), last.type(), last.data().copy().put("result", result), last.at()));
        return events;
      });
    });
  }

  @Override
  public Future<Optional<JobRequest>> request(String id) {
    return map(REQUESTS).compose(requests -> requests.get(id)).map(json -> Optional.ofNullable(json).map(JobRequest::fromJson));
  }

  @Override
  public Future<Void> assign(String id, int attempt, String node) {
    return map(ASSIGNMENTS).compose(m -> m.put(id, new JsonObject().put("attempt", attempt).put("node", node)));
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
