package io.inferbus.verticles.jobs;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Jobs of a node that is neither clustered nor keeping them in Redis: plain objects in this JVM,
 * each job's log appended in place under the job's lock. The shared-map store would copy a job's
 * whole JSON entry on every read and write (Vert.x copies what its local maps hold), which in one
 * JVM buys nothing: no other process reads the entry.
 */
public final class InMemoryJobStore implements JobStore {
  private final Clock clock;
  private final long retentionMillis;
  private final RetainedJobs retained;
  private final Map<String, StoredJob> jobs = new ConcurrentHashMap<>();

  /** @param retainedBytes heap for ended jobs; beyond it the oldest are forgotten early */
  public InMemoryJobStore(Clock clock, Duration retention, long retainedBytes) {
    this.clock = clock;
    this.retentionMillis = retention.toMillis();
    this.retained = new RetainedJobs(retainedBytes, retentionMillis);
  }

  /** One job; every field is read and written under its lock. */
  private static final class StoredJob {
    JobRecord record;
    final List<JobEvent> events = new ArrayList<>();
    final Map<Integer, JsonObject> resultsByAttempt = new HashMap<>(2);
    /** While the job is live: what recovery dispatches again, and who holds which attempt. */
    JobRequest request;
    String holder;
    int heldAttempt;
    long endedAt = -1;

    StoredJob(JobRecord record, JobEvent first, JobRequest request, String holder) {
      this.record = record;
      this.events.add(first);
      this.request = request;
      this.holder = holder;
      this.heldAttempt = record.attempt();
    }

    boolean live() {
      return endedAt < 0;
    }
  }

  @Override
  public Future<Appended> create(JobRecord job, JobRequest request, JsonObject queuedData, String holder) {
    JobEvent first = JobEntry.firstEvent(job, queuedData);
    if (jobs.putIfAbsent(job.id(), new StoredJob(job, first, request, holder)) != null) {
      return Future.failedFuture(new IllegalStateException("job " + job.id() + " exists"));
    }
    return Future.succeededFuture(new Appended(job, List.of(first)));
  }

  @Override
  public Future<Optional<JobRecord>> get(String id) {
    return Future.succeededFuture(kept(id).map(job -> {
      synchronized (job) {
        return job.record.status() == JobStatus.SUCCEEDED ? job.record.withResult(job.resultsByAttempt.get(job.record.attempt())) : job.record;
      }
    }));
  }

  @Override
  public Future<Optional<Appended>> append(String id, int attempt, List<Proposal> proposals) {
    return Future.succeededFuture(change(id, JobEntry.appending(attempt, proposals)));
  }

  @Override
  public Future<Optional<Appended>> requeue(String id, int attempt, String reason) {
    return Future.succeededFuture(change(id, JobEntry.requeueing(id, attempt, reason)));
  }

  private Optional<Appended> change(String id, Function<JobRecord, List<Proposal>> decide) {
    Optional<StoredJob> found = kept(id);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    StoredJob job = found.get();
    Appended appended;
    synchronized (job) {
      List<Proposal> proposals = job.live() ? decide.apply(job.record) : List.of();
      if (proposals.isEmpty()) {
        return Optional.empty();
      }
      long now = clock.millis();
      appended = JobEntry.appended(id, job.record, job.events.size(), proposals, now);
      job.events.addAll(appended.events());
      job.record = appended.job();
      if (job.record.status().terminal()) {
        job.endedAt = now;
        job.request = null;
        job.holder = null;
        job.resultsByAttempt.keySet().removeIf(attempt -> attempt != job.record.attempt());
      }
    }
    if (appended.job().status().terminal()) {
      RetainedJobs.Forgotten forgotten = retained.ended(id, appended.job().attempt(), clock.millis());
      forgotten.expired().forEach(this::forget);
      forgotten.overBudget().forEach(this::forget);
    }
    return Optional.of(appended);
  }

  private void forget(RetainedJobs.Ended ended) {
    jobs.remove(ended.id());
  }

  /** The job, unless it ended longer than the retention time ago (then it is forgotten now). */
  private Optional<StoredJob> kept(String id) {
    StoredJob job = jobs.get(id);
    if (job == null) {
      return Optional.empty();
    }
    synchronized (job) {
      if (job.live() || clock.millis() < job.endedAt + retentionMillis) {
        return Optional.of(job);
      }
    }
    jobs.remove(id, job);
    return Optional.empty();
  }

  @Override
  public Future<Void> putResult(String id, int attempt, JsonObject result) {
    kept(id).ifPresent(job -> {
      synchronized (job) {
        if (job.live()) {
          job.resultsByAttempt.put(attempt, result);
        }
      }
      retained.resultStored(id, attempt, result);
    });
    return Future.succeededFuture();
  }

  @Override
  public Future<List<JobEvent>> eventsAfter(String id, long seq) {
    return Future.succeededFuture(kept(id).map(job -> {
      synchronized (job) {
        List<JobEvent> events = List.copyOf(job.events.subList((int) Math.min(Math.max(0, seq), job.events.size()), job.events.size()));
        return JobEntry.endsWithResult(events) ? JobEntry.withResult(events, job.resultsByAttempt.get(job.record.attempt())) : events;
      }
    }).orElse(List.of()));
  }

  @Override
  public Future<Optional<JobRequest>> request(String id) {
    return Future.succeededFuture(kept(id).flatMap(job -> {
      synchronized (job) {
        return Optional.ofNullable(job.request);
      }
    }));
  }

  @Override
  public Future<Void> assign(JobRequest request, int attempt, String node) {
    kept(request.id()).ifPresent(job -> {
      synchronized (job) {
        if (job.live()) {
          job.holder = node;
          job.heldAttempt = attempt;
        }
      }
    });
    return Future.succeededFuture();
  }

  @Override
  public Future<List<Assignment>> assignments() {
    List<Assignment> live = new ArrayList<>();
    for (StoredJob job : jobs.values()) {
      synchronized (job) {
        if (job.live()) {
          live.add(new Assignment(job.record.id(), job.heldAttempt, job.holder));
        }
      }
    }
    return Future.succeededFuture(live);
  }
}
