package io.inferbus.verticles.jobs;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

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

  /** Events in order, as they travel together (one change's events, a store's answer). */
  public static JsonArray toJson(List<JobEvent> events) {
    JsonArray encoded = new JsonArray();
    events.forEach(event -> encoded.add(event.toJson()));
    return encoded;
  }

  public static List<JobEvent> fromJson(JsonArray encoded) {
    List<JobEvent> events = new ArrayList<>(encoded.size());
    for (int i = 0; i < encoded.size(); i++) {
      events.add(fromJson(encoded.getJsonObject(i)));
    }
    return List.copyOf(events);
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
