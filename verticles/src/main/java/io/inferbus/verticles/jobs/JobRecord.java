package io.inferbus.verticles.jobs;

import io.inferbus.inference.Priority;
import io.inferbus.inference.Task;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * What the service knows of a job; every change comes from one event of its log (see {@link #apply}).
 * {@code attempt} counts deliveries to workers: a job handed out again gets a new attempt, and only
 * the worker holding the current attempt may report on it.
 */
public record JobRecord(
    String id,
    Task task,
    String model,
    Priority priority,
    JobStatus status,
    int attempt,
    int done,
    int total,
    long created,
    Long started,
    Long finished,
    JsonObject result,
    JsonObject error,
    boolean cached,
    String traceparent) {

  /** The job as {@link JobJournal#open} records it for this request. */
  public static JobRecord queued(JobRequest request) {
    return queued(request.id(), request.task(), request.model(), request.priority(), request.inputs().size(), request.submittedAt(),
        request.traceparent());
  }

  public static JobRecord queued(String id, Task task, String model, Priority priority, int total, long now, String traceparent) {
    return new JobRecord(id, task, model, priority, JobStatus.QUEUED, 1, 0, total, now, null, null, null, null, false, traceparent);
  }

  public JobRecord apply(JobEvent event) {
    JsonObject data = event.data();
    return switch (event.type()) {
      case QUEUED -> with(JobStatus.QUEUED, data.getInteger("attempt", attempt), done, started, null, null);
      case STARTED -> with(JobStatus.RUNNING, attempt, done, started == null ? event.at() : started, null, null);
      case PROGRESS -> with(status, attempt, Math.max(done, data.getInteger("done")), started, null, null);
      case SUCCEEDED -> with(JobStatus.SUCCEEDED, attempt, total, started, event.at(), null).withCached(data.getBoolean("cached", false));
      case FAILED -> with(JobStatus.FAILED, attempt, done, started, event.at(), data.getJsonObject("error"));
      case CANCELLED -> with(JobStatus.CANCELLED, attempt, done, started, event.at(), null);
      case EXPIRED -> with(JobStatus.EXPIRED, attempt, done, started, event.at(), data.getJsonObject("error"));
    };
  }

  private JobRecord with(JobStatus status, int attempt, int done, Long started, Long finished, JsonObject error) {
    return new JobRecord(id, task, model, priority, status, attempt, done, total, created, started, finished, result, error, cached, traceparent);
  }

  private JobRecord withCached(boolean fromCache) {
    return new JobRecord(id, task, model, priority, status, attempt, done, total, created, started, finished, result, error, fromCache, traceparent);
  }

  public JobRecord withResult(JsonObject result) {
    return new JobRecord(id, task, model, priority, status, attempt, done, total, created, started, finished, result, error, cached, traceparent);
  }

  /** The public view, as GET /v1/jobs/{id} shows it. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("id", id)
        .put("task", task.wireName())
        .put("model", model)
        .put("priority", priority.wireName())
        .put("status", status.wireName())
        .put("progress", new JsonObject().put("done", done).put("total", total))
        .put("created", timestamp(created))
        .put("started", started == null ? null : timestamp(started))
        .put("finished", finished == null ? null : timestamp(finished));
    if (cached) {
      json.put("cached", true);
    }
    if (traceparent != null) {
      json.put("trace_id", Traceparent.traceId(traceparent));
    }
    if (result != null) {
      json.put("result", result);
    }
    if (error != null) {
      json.put("error", error);
    }
    return json;
  }

  /** The stored form: everything but the result, which is kept apart. */
  JsonObject toStored() {
    return new JsonObject()
        .put("id", id)
        .put("task", task.wireName())
        .put("model", model)
        .put("priority", priority.wireName())
        .put("status", status.name())
        .put("attempt", attempt)
        .put("done", done)
        .put("total", total)
        .put("created", created)
        .put("started", started)
        .put("finished", finished)
        .put("error", error)
        .put("cached", cached)
        .put("traceparent", traceparent);
  }

  static JobRecord fromStored(JsonObject json) {
    return new JobRecord(
        json.getString("id"),
        Task.fromWireName(json.getString("task")).orElseThrow(),
        json.getString("model"),
        Priority.fromWireName(json.getString("priority")).orElseThrow(),
        JobStatus.valueOf(json.getString("status")),
        json.getInteger("attempt"),
        json.getInteger("done"),
        json.getInteger("total"),
        json.getLong("created"),
        json.getLong("started"),
        json.getLong("finished"),
        null,
        json.getJsonObject("error"),
        json.getBoolean("cached", false),
        json.getString("traceparent"));
  }

  private static String timestamp(long epochMillis) {
    return Instant.ofEpochMilli(epochMillis).toString();
  }
}
