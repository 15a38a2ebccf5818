package io.inferbus.verticles.jobs;

import io.vertx.core.json.JsonObject;
import java.util.List;

/** The events one change added to a job's log, in order: one bus message between nodes instead of one each. */
public record JobEventBatch(List<JobEvent> events) {

  public JsonObject toJson() {
    return new JsonObject().put("events", JobEvent.toJson(events));
  }

  public static JobEventBatch fromJson(JsonObject json) {
    return new JobEventBatch(JobEvent.fromJson(json.getJsonArray("events")));
  }
}
