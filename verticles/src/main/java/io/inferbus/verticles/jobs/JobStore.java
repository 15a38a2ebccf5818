package io.inferbus.verticles.jobs;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;

/**
 * Jobs: their records and event logs (the source of truth), their requests while they are live,
 * results, and which node holds each live job. Appends to one job are atomic and numbered.
 */
public interface JobStore {

  /** Passed as the attempt by callers that act on the job whoever holds it (cancellation). */
  int ANY_ATTEMPT = 0;

  /** The job after a change, and the events the change added, in order. */
  record Appended(JobRecord job, List<JobEvent> events) {}

  /**
   * An event a writer wants to add; the store numbers it, and times it with the write unless it
   * happened earlier ({@code at} above 0: a start written with the job's next change).
   */
  record Proposal(JobEventType type, JsonObject data, long at) {
    public Proposal(JobEventType type, JsonObject data) {
      this(type, data, 0);
    }
  }

  /** Stores a new job, its request, its first event ({@code queued}, numbered 1) and its first holder. */
  Future<Appended> create(JobRecord job, JobRequest request, JsonObject queuedData, String holder);

  /**
   * The worker on {@code node} took the job's first attempt, whose log most likely still holds only
   * what {@link #create} wrote with this first event's data: a store that compares before it writes
   * may skip reading it, and one that lets a job go to its worker before its creation lands
   * ({@link #sendsBeforeCreated}) writes the entry as create would with that worker's first change,
   * should it come first. Never changes what is stored by itself.
   */
  default void taken(JobRequest request, JsonObject queuedData, String node) {}

  /**
   * Whether a dispatcher may send this new job to a worker before {@link #create} has landed: then
   * the worker's first change writes the job as create would, should it come first (see
   * {@link #taken}), and create leaves what it finds. False by default: the job is sent once created.
   */
  default boolean sendsBeforeCreated(JobRequest request) {
    return false;
  }

  /**
   * The {@code started} event of {@code attempt} by the worker on {@code node}, first of {@code events},
   * with whatever followed it (ending in a success with its {@code result}, or null); a store that
   * keeps the holder with the job records that node as the job's holder in the same write.
   */
  default Future<Optional<Appended>> start(String id, int attempt, String node, List<Proposal> events, JsonObject result) {
    return result == null ? append(id, attempt, events) : succeed(id, attempt, events, result);
  }

  /**
   * Whether {@link #start} names the worker as the job's holder in the same write. A store that does not
   * keeps holders apart, and a hand-over then names the worker with {@link #assign} at once.
   */
  default boolean startNamesHolder() {
    return false;
  }

  /** The job with its result, if it has one. */
  Future<Optional<JobRecord>> get(String id);

  /**
   * Appends events in one atomic step and applies them. Refused (empty) when the job is unknown or
   * has ended, or when {@code attempt} is not the job's current one; progress that is not beyond
   * what was reported is left out. A terminal event also forgets the job's request and holder and
   * starts its retention time.
   */
  Future<Optional<Appended>> append(String id, int attempt, List<Proposal> events);

  /** Hands a live job out again: its attempt goes from {@code attempt} to the next, with a {@code queued} event. */
  Future<Optional<Appended>> requeue(String id, int attempt, String reason);

  /**
   * The result of one attempt, kept until the retention time after the job ends; {@link #get} and
   * {@link #eventsAfter} read the one of the attempt that succeeded, so a late result from an
   * attempt that was taken back is never shown.
   */
  Future<Void> putResult(String id, int attempt, JsonObject result);

  /**
   * The job's last events, ending in its success, with the result of {@code attempt} readable as
   * soon as they are: by default the result is stored first, then the events are appended.
   */
  default Future<Optional<Appended>> succeed(String id, int attempt, List<Proposal> events, JsonObject result) {
    return putResult(id, attempt, result).compose(v -> append(id, attempt, events));
  }

  /** The job's events numbered above {@code seq}, in order; empty for an unknown job. */
  Future<List<JobEvent>> eventsAfter(String id, long seq);

  Future<Optional<JobRequest>> request(String id);

  /**
   * Records which node now holds the live job's current attempt (the request: what recovery
   * dispatches again). A job that has ended meanwhile keeps no holder: its assignment, removed at
   * its end, is not written again (a late write would leave it behind for good).
   */
  Future<Void> assign(JobRequest request, int attempt, String node);

  /** Every live job and the node holding it. */
  Future<List<Assignment>> assignments();

  record Assignment(String jobId, int attempt, String node) {}
}
