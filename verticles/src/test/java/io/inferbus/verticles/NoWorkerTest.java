package io.inferbus.verticles;

import static io.inferbus.verticles.JobApiTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An API node with no worker for its model: refuses work fast and says it is not ready. */
class NoWorkerTest {
  @Test
  void submissionsAnswer503WithRetryAfterAndReadinessSaysWhy() {
    try (TestNode node = TestNode.start(Map.of("INFERBUS_NODE_ROLE", "api", "INFERBUS_JOBS_RETRY_AFTER_SECONDS", "7"))) {
      HttpResponse<Buffer> job = node.postJson("/v1/jobs", new JsonObject().put("task", "embed").put("input", "hello"));
      assertError(job, 503, "no_worker");
      assertEquals("7", job.getHeader("Retry-After"));
      assertError(node.postJson("/v1/embeddings", new JsonObject().put("input", "hello")), 503, "no_worker");

      HttpResponse<Buffer> ready = node.get("/health/ready");
      assertEquals(503, ready.statusCode());
      assertEquals("not_ready", ready.bodyAsJsonObject().getString("status"));
      assertEquals(0, ready.bodyAsJsonObject().getJsonObject("models").getJsonObject("all-minilm-l6-v2").getInteger("workers"));
      assertEquals(200, node.get("/health/live").statusCode());
      assertEquals(0, node.get("/v1/models").bodyAsJsonObject().getJsonArray("data").getJsonObject(0).getJsonArray("workers").size());
    }
  }
}
