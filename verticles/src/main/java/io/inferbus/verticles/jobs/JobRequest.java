package io.inferbus.verticles.jobs;

import io.inferbus.inference.Priority;
import io.inferbus.inference.Task;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The body of a work message: everything a worker needs to run a job.
 *
 * @param deadline epoch ms by which the job must have started, or it expires
 * @param cacheKey where the result is cached once the job succeeds; null: not cached
 * @param maxNewTokens generative tasks: output tokens per input piece; 0: the model's default for the piece's length
 * @param traceparent the W3C trace context the job's log lines (on every node) and bus messages carry
 */
public record JobRequest(String id, Task task, String model, Priority priority, long submittedAt, long deadline, List<String> inputs,
    String cacheKey, int maxNewTokens, String traceparent) {

  /** Never changed once made: a node's dispatcher and worker share one. */
  public JobRequest {
    inputs = List.copyOf(inputs);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("task", task.wireName())
        .put("model", model)
        .put("priority", priority.wireName())
        .put("submitted", submittedAt)
        .put("deadline", deadline)
        .put("inputs", new JsonArray(inputs))
        .put("cacheKey", cacheKey)
        .put("maxNewTokens", maxNewTokens)
        .put("traceparent", traceparent);
  }

  public static JobRequest fromJson(JsonObject json) {
    List<String> inputs = json.getJsonArray("inputs").stream().map(String.class::cast).toList();
    return new JobRequest(
        json.getString("id"),
        Task.fromWireName(json.getString("task")).orElseThrow(),
        json.getString("model"),
        Priority.fromWireName(json.getString("priority")).orElseThrow(),
        json.getLong("submitted"),
        json.getLong("deadline"),
        inputs,
        json.getString("cacheKey"),
        json.getInteger("maxNewTokens", 0),
        json.getString("traceparent"));
  }
}
