package io.inferbus.verticles.worker;

import io.vertx.core.json.JsonObject;

/** Where a model runs: announced by a worker, read by API nodes for readiness and /v1/models. */
public record WorkerInfo(String model, String node, String device, int sessions) {

  public JsonObject toJson() {
    return new JsonObject().put("model", model).put("node", node).put("device", device).put("sessions", sessions);
  }

  public static WorkerInfo fromJson(JsonObject json) {
    return new WorkerInfo(json.getString("model"), json.getString("node"), json.getString("device"), json.getInteger("sessions"));
  }
}
