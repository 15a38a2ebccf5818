package io.inferbus.verticles.jobs;

import io.inferbus.verticles.jobs.JobStore.Appended;
import io.inferbus.verticles.jobs.JobStore.Proposal;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A job as every store keeps it, one JSON entry {@code {"job": record, "events": [...]}}, and the
 * rules for changing it, so that each store only has to apply them atomically (a compare-and-set, or a
 * change run where the entry lives).
 */
final class JobEntry {
  /** The entry to write in place of the one read, and what the change added. */
  record Change(JsonObject updated, Appended appended) {}

  private JobEntry() {}

  static JsonObject first(JobRecord job, JobEvent queued) {
    return new JsonObject().put("job", job.toStored()).put("events", new JsonArray().add(queued.toJson()));
  }

  /** What {@link JobStore#create} logs first: {@code queued}, numbered 1, at the job's creation. */
  static JobEvent firstEvent(JobRecord job, JsonObject queuedData) {
    return new JobEvent(job.id(), 1, JobEventType.QUEUED, queuedData, job.created());
  }

  /** The proposals as the log's next events, numbered after its {@code logSize} events, and the job after them. */
  static Appended appended(String id, JobRecord job, int logSize, List<Proposal> proposals, long now) {
    List<JobEvent> added = new ArrayList<>(proposals.size());
    JobRecord next = job;
    for (Proposal proposal : proposals) {
      JobEvent event = new JobEvent(id, logSize + added.size() + 1L, proposal.type(), proposal.data(), proposal.at() > 0 ? proposal.at() : now);
      added.add(event);
      next = next.apply(event);
    }
    return new Appended(next, List.copyOf(added));
  }

  static JobRecord job(JsonObject entry) {
    return JobRecord.fromStored(entry.getJsonObject("job"));
  }

  /** Empty when an ended job would change, or when {@code decide} proposes nothing. */
  static Optional<Change> change(String id, JsonObject entry, Function<JobRecord, List<Proposal>> decide, long now) {
    JobRecord job = job(entry);
    List<Proposal> proposals = job.status().terminal() ? List.of() : decide.apply(job);
    if (proposals.isEmpty()) {
      return Optional.empty();
    }
    JsonArray log = entry.getJsonArray("events").copy();
    Appended appended = appended(id, job, log.size(), proposals, now);
    appended.events().forEach(event -> log.add(event.toJson()));
    JsonObject updated = new JsonObject().put("job", appended.job().toStored()).put("events", log);
    return Optional.of(new Change(updated, appended));
  }

  /**
   * What {@link JobStore#append} lets through: only for the current attempt, and only progress
   * beyond what was reported (generated text, which carries a delta, grows without finishing inputs).
   */
  static Function<JobRecord, List<Proposal>> appending(int attempt, List<Proposal> proposals) {
    return job -> attempt != JobStore.ANY_ATTEMPT && attempt != job.attempt()
        ? List.of()
        : proposals.stream().filter(p -> p.type() != JobEventType.PROGRESS || p.data().containsKey("delta")
            || p.data().getInteger("done") > job.done()).toList();
  }

  /** {@link JobStore#requeue}: the holder of {@code attempt} gives the job back under the next attempt. */
  static Function<JobRecord, List<Proposal>> requeueing(String id, int attempt, String reason) {
    return job -> job.attempt() != attempt
        ? List.of()
        : List.of(new Proposal(JobEventType.QUEUED,
            new JsonObject().put("id", id).put("status", "queued").put("attempt", attempt + 1).put("reason", reason)));
  }

  /** The job of a stored entry (empty when there is none), a succeeded one with its result as {@code result} reads it. */
  static Future<Optional<JobRecord>> job(Optional<JsonObject> entry, Function<JobRecord, Future<JsonObject>> result) {
    if (entry.isEmpty()) {
      return Future.succeededFuture(Optional.empty());
    }
    JobRecord job = job(entry.get());
    return job.status() != JobStatus.SUCCEEDED ? Future.succeededFuture(Optional.of(job))
        : result.apply(job).map(read -> Optional.of(job.withResult(read)));
  }

  /** The stored entry's events numbered above {@code seq}, a final success carrying the result as {@code result} reads it. */
  static Future<List<JobEvent>> eventsAfter(Optional<JsonObject> entry, long seq, Function<JobRecord, Future<JsonObject>> result) {
    List<JobEvent> events = entry.map(e -> eventsAfter(e, seq)).orElse(List.of());
    return endsWithResult(events) ? result.apply(job(entry.get())).map(read -> withResult(events, read)) : Future.succeededFuture(events);
  }

  /** The events numbered above {@code seq}. */
  static List<JobEvent> eventsAfter(JsonObject entry, long seq) {
    JsonArray stored = entry.getJsonArray("events");
    List<JobEvent> events = new ArrayList<>();
    for (int i = (int) Math.max(0, seq); i < stored.size(); i++) {
      events.add(JobEvent.fromJson(stored.getJsonObject(i)));
    }
    return events;
  }

  static boolean endsWithResult(List<JobEvent> events) {
    return !events.isEmpty() && events.get(events.size() - 1).type() == JobEventType.SUCCEEDED;
  }

  /** The result is stored apart from the log; the {@code succeeded} event carries it when read. */
  static List<JobEvent> withResult(List<JobEvent> events, JsonObject result) {
    List<JobEvent> all = new ArrayList<>(events);
    JobEvent last = all.remove(all.size() - 1);
    all.add(new JobEvent(last.jobId(), last.seq(), last.type(), last.data().copy().put("result", result), last.at()));
    return all;
  }
}
