package io.inferbus.verticles.api;

import io.inferbus.verticles.ErrorCode;
import io.inferbus.inference.Priority;
import io.inferbus.inference.Task;
import io.inferbus.verticles.config.InferbusConfig;
import io.inferbus.verticles.config.InferbusConfig.ModelConfig;
import io.inferbus.verticles.jobs.Traceparent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A validated request for work, from either the job API or the OpenAI-compatible endpoint.
 *
 * @param deadlineMs how long the job may wait for a worker to start it
 * @param maxNewTokens generative tasks: output tokens per input piece, 0 for the model's default
 */
public record JobSubmission(Task task, ModelConfig model, Priority priority, int deadlineMs, List<String> inputs, int maxNewTokens,
    String traceparent) {

  /** The same job, traced under the client's W3C traceparent (or a new one when it sent none or a bad one). */
  public JobSubmission tracedBy(String header) {
    return new JobSubmission(task, model, priority, deadlineMs, inputs, maxNewTokens, Traceparent.fromRequest(header));
  }

  /** What the job asked that changes its result, for the cache key. */
  public String resultParameters() {
    return task.generative() ? "max_new_tokens=" + maxNewTokens : "";
  }

  public static JobSubmission fromJobRequest(JsonObject body, InferbusConfig config) {
    Object taskValue = body.getValue("task");
    if (!(taskValue instanceof String taskName)) {
      throw new ApiError(ErrorCode.INVALID_TASK, "'task' is required and must be a string, e.g. \"embed\"");
    }
    Task task = Task.fromWireName(taskName)
        .orElseThrow(() -> new ApiError(ErrorCode.UNKNOWN_TASK, "unknown task '" + taskName + "'"));
    return new JobSubmission(task, model(body, task, config), priority(body), deadline(body, config), inputs(body, config),
        maxNewTokens(body, task), null);
  }

  /** Output tokens per input piece; a piece stops at the first of its end token and this. */
  private static int maxNewTokens(JsonObject body, Task task) {
    Object value = body.getValue("max_new_tokens");
    if (value == null) {
      return 0;
    }
    if (!task.generative()) {
      throw new ApiError(ErrorCode.INVALID_PARAMETER, "'max_new_tokens' applies to generative tasks only, not to '" + task.wireName() + "'");
    }
    if (!(value instanceof Number n) || n.doubleValue() != n.longValue() || n.longValue() < 1 || n.longValue() > 4096) {
      throw new ApiError(ErrorCode.INVALID_PARAMETER, "'max_new_tokens' must be a whole number from 1 to 4096");
    }
    return n.intValue();
  }

  /**
   * Synchronous calls run at {@code high}, or at the most the caller may use when that is lower:
   * a key limited to {@code normal} still gets its embeddings.
   */
  public static JobSubmission fromEmbeddingsRequest(JsonObject body, InferbusConfig config, Priority allowance) {
    Priority priority = allowance.ordinal() > Priority.HIGH.ordinal() ? allowance : Priority.HIGH;
    return new JobSubmission(Task.EMBED, model(body, Task.EMBED, config), priority, config.jobs().defaultDeadlineMs(), inputs(body, config), 0, null);
  }

  private static int deadline(JsonObject body, InferbusConfig config) {
    Object value = body.getValue("deadline_ms");
    if (value == null) {
      return config.jobs().defaultDeadlineMs();
    }
    int max = config.jobs().maxDeadlineMs();
    if (!(value instanceof Number n) || n.doubleValue() != n.longValue() || n.longValue() < 1 || n.longValue() > max) {
      throw new ApiError(ErrorCode.INVALID_DEADLINE, "'deadline_ms' must be a whole number of milliseconds from 1 to " + max);
    }
    return n.intValue();
  }

  private static ModelConfig model(JsonObject body, Task task, InferbusConfig config) {
    Object value = body.getValue("model");
    if (value == null) {
      return config.defaultModel(task)
          .orElseThrow(() -> new ApiError(ErrorCode.UNKNOWN_MODEL, "no model is configured for task '" + task.wireName() + "'"));
    }
    if (!(value instanceof String id)) {
      throw new ApiError(ErrorCode.UNKNOWN_MODEL, "'model' must be a string");
    }
    ModelConfig model = config.model(id)
        .orElseThrow(() -> new ApiError(ErrorCode.UNKNOWN_MODEL, "unknown model '" + id + "'; models of task '" + task.wireName() + "' here: "
            + String.join(", ", config.models().stream().filter(m -> m.spec().task() == task).map(ModelConfig::id).toList())));
    if (model.spec().task() != task) {
      throw new ApiError(ErrorCode.UNKNOWN_MODEL, "model '" + id + "' does not serve task '" + task.wireName() + "'");
    }
    return model;
  }

  private static Priority priority(JsonObject body) {
    Object value = body.getValue("priority");
    if (value == null) {
      return Priority.NORMAL;
    }
    return (value instanceof String name ? Priority.fromWireName(name) : java.util.Optional.<Priority>empty())
        .orElseThrow(() -> new ApiError(ErrorCode.INVALID_PRIORITY, "'priority' must be one of critical, high, normal, low"));
  }

  private static List<String> inputs(JsonObject body, InferbusConfig config) {
    Object value = body.getValue("input");
    List<String> inputs = new ArrayList<>();
    if (value == null) {
      throw new ApiError(ErrorCode.MISSING_INPUT, "'input' is required: a string or an array of strings");
    } else if (value instanceof String text) {
      inputs.add(text);
    } else if (value instanceof JsonArray array) {
      if (array.size() > config.limits().maxInputs()) {
        throw new ApiError(ErrorCode.TOO_MANY_INPUTS,
            array.size() + " inputs, at most " + config.limits().maxInputs() + " per request");
      }
      for (int i = 0; i < array.size(); i++) {
        if (!(array.getValue(i) instanceof String text)) {
          throw new ApiError(ErrorCode.INVALID_INPUT, "input[" + i + "] must be a string");
        }
        inputs.add(text);
      }
    } else {
      throw new ApiError(ErrorCode.INVALID_INPUT, "'input' must be a string or an array of strings");
    }
    if (inputs.isEmpty()) {
      throw new ApiError(ErrorCode.EMPTY_INPUT, "'input' must hold at least one text");
    }
    for (int i = 0; i < inputs.size(); i++) {
      String text = inputs.get(i);
      if (text.isBlank()) {
        throw new ApiError(ErrorCode.EMPTY_INPUT, "input[" + i + "] is empty or only whitespace");
      }
      if (text.length() > config.limits().maxInputChars()) {
        throw new ApiError(ErrorCode.INPUT_TOO_LONG,
            "input[" + i + "] has " + text.length() + " characters, at most " + config.limits().maxInputChars());
      }
    }
    return List.copyOf(inputs);
  }
}
