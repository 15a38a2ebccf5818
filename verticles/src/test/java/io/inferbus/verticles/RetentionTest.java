package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetentionTest {
  @Test
  void aFinishedJobIsKeptForTheRetentionTimeThenForgotten() {
    try (TestNode node = TestNode.start(Map.of("INFERBUS_JOBS_RETENTION_SECONDS", "2"))) {
      String id = node.postJson("/v1/jobs", new JsonObject().put("task", "embed").put("input", "short lived"))
          .bodyAsJsonObject().getString("id");
      node.pollUntil("the job to succeed", Duration.ofSeconds(30),
          () -> "succeeded".equals(node.get("/v1/jobs/" + id).bodyAsJsonObject().getString("status")));
      long finished = System.nanoTime();
      node.pollUntil("the job to be forgotten", Duration.ofSeconds(30), () -> node.get("/v1/jobs/" + id).statusCode() == 404);
      long keptMillis = (System.nanoTime() - finished) / 1_000_000;
      assertEquals(true, keptMillis >= 1000, "kept only " + keptMillis + " ms");
      assertEquals(404, node.get("/v1/jobs/" + id + "/events").statusCode());
    }
  }
}
