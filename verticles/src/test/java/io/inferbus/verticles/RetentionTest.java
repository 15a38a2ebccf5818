package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

  @Test
  void theInMemoryStoreForgetsTheOldestFinishedJobsOnceTheyPassItsMemoryBudget() {
    try (TestNode node = TestNode.start(Map.of("INFERBUS_JOBS_RETAINED_MB", "1"))) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 150; i++) {
        List<SseRecorder.Event> events = node.stream(HttpMethod.POST, "/v1/jobs",
            new JsonObject().put("task", "embed").put("input", "sentence number " + i), Map.of()).awaitEnd(Duration.ofSeconds(30));
        assertEquals("succeeded", events.get(events.size() - 1).type());
        ids.add(events.get(0).data().getString("id"));
      }
      assertEquals(404, node.get("/v1/jobs/" + ids.get(0)).statusCode(), "the oldest is forgotten before its retention time");
      JsonObject newest = node.get("/v1/jobs/" + ids.get(149)).bodyAsJsonObject();
      assertEquals(384, newest.getJsonObject("result").getInteger("dimensions"));
      long kept = ids.stream().filter(id -> node.get("/v1/jobs/" + id).statusCode() == 200).count();
      // About 12 KB each (4 KB of record and events, 384 boxed floats): 1 MB keeps 80-90 of them.
      assertTrue(kept >= 50 && kept <= 100, kept + " of 150 kept");
      assertTrue(ids.subList(150 - (int) kept, 150).stream().allMatch(id -> node.get("/v1/jobs/" + id).statusCode() == 200),
          "the newest ones are the ones kept");
    }
  }
}
