package io.inferbus.verticles.jobs;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** The events one change added to a job's log, in order: one bus message between nodes instead of one each. */
public record JobEventBatch(List<JobEvent> events) {

  public JsonObject toJson() {
    JsonArray encoded = new JsonArray();
    events.forEach(event -> encoded.add(event.toJson()));
    return new JsonObject().put("events", encoded);
  }

  public static JobEventBatch fromJson(JsonObject json) {
    JsonArray encoded = json.getJsonArray("events");
    List<JobEvent> events = new ArrayList<>(encoded.size());
    for (int i = 0; i < encoded.size(); i++) {
      events.add(JobEvent.fromJson(encoded.getJsonObject(i)));
    }
    return new JobEventBatch(List.copyOf(events));
  }
}
