package io.inferbus.verticles.jobs;

import io.inferbus.verticles.bus.BusAddresses;
import io.inferbus.verticles.metrics.JobMetrics;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;

/**
 * The one way a job changes: append the event to the job's log (the source of truth), then
 * publish it on the job's events address as news for whoever streams it.
 */
public final class JobJournal {
  /** About 100 KB of JSON: results up to this many numbers ride along with their event. */
  private static final int INLINE_RESULT_VALUES = 8192;

  private final JobStore store;
  private final EventBus bus;
  private final JobMetrics metrics;

  public JobJournal(JobStore store, EventBus bus, JobMetrics metrics) {
    this.store = store;
    this.bus = bus;
    this.metrics = metrics;
  }

  public JobStore store() {
    return store;
  }

  /** Records a new job, held by {@code holder} until a worker takes it. */
  public Future<JobRecord> open(JobRecord job, JobRequest request, String holder) {
    return store.create(job, request, new JsonObject().put("id", job.id()).put("status", JobStatus.QUEUED.wireName()), holder)
        .map(appended -> {
          metrics.submitted(appended.job());
          appended.events().forEach(event -> publish(event, null));
          return appended.job();
        });
  }

  /** Empty when the event was refused: the job has ended, is unknown, or {@code attempt} is not its current one. */
  public Future<Optional<JobRecord>> record(String jobId, int attempt, JobEventType type, JsonObject data) {
    return observed(store.append(jobId, attempt, List.of(new JobStore.Proposal(type, data))), null);
  }

  /** The last batch's progress and the success, in one step, once the result is stored where readers find it. */
  public Future<Optional<JobRecord>> succeed(String jobId, int attempt, JsonObject finalProgress, JsonObject result) {
    List<JobStore.Proposal> events = List.of(
        new JobStore.Proposal(JobEventType.PROGRESS, finalProgress),
        new JobStore.Proposal(JobEventType.SUCCEEDED, new JsonObject().put("status", JobStatus.SUCCEEDED.wireName())));
    return store.putResult(jobId, result).compose(v -> observed(store.append(jobId, attempt, events), result));
  }

  public Future<Optional<JobRecord>> fail(String jobId, int attempt, String code, String message) {
    JsonObject error = new JsonObject().put("code", code).put("message", message);
    return record(jobId, attempt, JobEventType.FAILED, new JsonObject().put("status", JobStatus.FAILED.wireName()).put("error", error));
  }

  /** A job still waiting at its deadline ends here; one that started is not stopped by it. */
  public Future<Optional<JobRecord>> expire(String jobId, int attempt) {
    JsonObject error = new JsonObject().put("code", "deadline_passed").put("message", "the job was still queued at its deadline");
    return record(jobId, attempt, JobEventType.EXPIRED, new JsonObject().put("status", JobStatus.EXPIRED.wireName()).put("error", error));
  }

  public Future<Optional<JobRecord>> cancel(String jobId) {
    return record(jobId, JobStore.ANY_ATTEMPT, JobEventType.CANCELLED, new JsonObject().put("status", JobStatus.CANCELLED.wireName()));
  }

  /** Takes the job back from the holder of {@code attempt}; empty when someone else already did, or it ended. */
  public Future<Optional<JobRecord>> requeue(String jobId, int attempt, String reason) {
    return observed(store.requeue(jobId, attempt, reason), null);
  }

  private Future<Optional<JobRecord>> observed(Future<Optional<JobStore.Appended>> appending, JsonObject result) {
    return appending.map(appended -> appended.map(a -> {
      for (JobEvent event : a.events()) {
        if (event.type() == JobEventType.STARTED && a.job().started() == event.at()) {
          metrics.started(a.job());
        } else if (event.type().terminal()) {
          metrics.finished(a.job());
        }
        publish(event, result);
      }
      return a.job();
    }));
  }

  /**
   * Events travel whole, except a large result: its {@code succeeded} event goes as a notice and
   * listeners read the result from the store, so it is not copied to every node that listens.
   */
  private void publish(JobEvent event, JsonObject result) {
    JsonObject message = event.type() != JobEventType.SUCCEEDED ? event.toJson()
        : result != null && isSmall(result) ? event.toJson().put("data", event.data().copy().put("result", result))
        : event.toNotice();
    bus.publish(BusAddresses.events(event.jobId()), message);
  }

  private static boolean isSmall(JsonObject result) {
    JsonArray embeddings = result.getJsonArray("embeddings");
    return embeddings == null || embeddings.size() * result.getInteger("dimensions", 0) <= INLINE_RESULT_VALUES;
  }
}
