package io.inferbus.verticles.jobs;

import io.vertx.core.json.JsonObject;

/**
 * One entry of a job's event log; {@code seq} counts from 1 within the job, and is 0 for news kept out
 * of the log. Never changed once made: the log, the bus and every reader on a node share one.
 */
public record JobEvent(String jobId, long seq, JobEventType type, JsonObject data, long at) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("job", jobId)
        .put("seq", seq)
        .put("type", type.wireName())
        .put("data", data)
        .put("at", at);
  }

  /** The news that the log has this event, without its data: listeners read it from the log. */
  public JobEvent notice() {
    return new JobEvent(jobId, seq, type, null, at);
  }

  public boolean isNotice() {
    return data == null;
  }

  public static JobEvent fromJson(JsonObject json) {
    return new JobEvent(
        json.getString("job"),
        json.getLong("seq"),
        JobEventType.fromWireName(json.getString("type")),
        json.getJsonObject("data"),
        json.getLong("at"));
  }
}
