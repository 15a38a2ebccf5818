package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Repeated work answered from the cache (in memory, or shared through a real Redis), and identical jobs in flight run once. */
class ResultCacheTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Map<String, String> CACHED = Map.of("INFERBUS_CACHE_ENABLED", "true");
  private static final String SLOW_NOOP = "models:\n  - id: noop\n    task: noop\n    delay-ms: 300\n    sessions: 1\n";

  private static JsonObject finished(TestNode node, String id) {
    JsonObject[] job = new JsonObject[1];
    node.pollUntil("job " + id + " to end", WAIT, () -> Set.of("succeeded", "failed", "cancelled", "expired")
        .contains((job[0] = node.get("/v1/jobs/" + id).bodyAsJsonObject()).getString("status")));
    return job[0];
  }

  private static JsonObject submit(TestNode node, JsonObject job) {
    HttpResponse<Buffer> accepted = node.postJson("/v1/jobs", job);
    assertEquals(202, accepted.statusCode(), accepted.bodyAsString());
    return accepted.bodyAsJsonObject();
  }

  private static double metric(TestNode node, String series) {
    return node.get("/metrics").bodyAsString().lines()
        .filter(line -> line.startsWith(series + " ") || line.startsWith(series + "{"))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  @Test
  void aRepeatedJobIsAnsweredFromTheCacheWithTheSameVectorsAndTheUsualEvents() {
    try (TestNode node = TestNode.start(CACHED)) {
      JsonObject job = new JsonObject().put("task", "embed").put("input", new JsonArray().add("A man is eating food.").add("Hello there"));
      JsonObject first = finished(node, submit(node, job).getString("id"));
      assertEquals("succeeded", first.getString("status"));
      assertFalse(first.containsKey("cached"));

      JsonObject again = submit(node, job);
      assertEquals("succeeded", again.getString("status"), "answered at once");
      assertEquals(true, again.getBoolean("cached"));
      JsonObject repeat = finished(node, again.getString("id"));
      assertEquals(true, repeat.getBoolean("cached"));
      assertEquals(first.getJsonObject("result"), repeat.getJsonObject("result"));

      List<SseRecorder.Event> events = node.stream(HttpMethod.GET, "/v1/jobs/" + again.getString("id") + "/events", null, Map.of()).awaitEnd(WAIT);
      assertEquals(List.of("queued", "started", "progress", "succeeded"), events.stream().map(SseRecorder.Event::type).toList());
      assertEquals(true, events.get(3).data().getBoolean("cached"));
      assertEquals(first.getJsonObject("result"), events.get(3).data().getJsonObject("result"));

      JsonObject other = submit(node, job.copy().put("input", new JsonArray().add("A man is eating food.").add("Hello, there")));
      assertFalse(finished(node, other.getString("id")).containsKey("cached"), "another input is other work");

      HttpResponse<Buffer> openAi = node.postJson("/v1/embeddings", new JsonObject().put("input", new JsonArray().add("A man is eating food.").add("Hello there")));
      assertEquals(first.getJsonObject("result").getJsonArray("embeddings").getJsonArray(1),
          openAi.bodyAsJsonObject().getJsonArray("data").getJsonObject(1).getJsonArray("embedding"));
      assertEquals(2.0, metric(node, "inferbus_cache_hits_total"));
      assertEquals(2.0, metric(node, "inferbus_cache_misses_total"));
    }
  }

  @Test
  void identicalJobsInFlightRunOnceAndAllGetTheResult() {
    try (TestNode node = TestNode.start(SLOW_NOOP, CACHED)) {
      JsonObject job = new JsonObject().put("task", "noop").put("input", new JsonArray().add("a").add("b").add("c"));
      List<String> ids = List.of(submit(node, job), submit(node, job), submit(node, job), submit(node, job)).stream()
          .map(accepted -> accepted.getString("id")).toList();
      List<JsonObject> jobs = ids.stream().map(id -> finished(node, id)).toList();
      jobs.forEach(j -> assertEquals("succeeded", j.getString("status")));
      jobs.forEach(j -> assertEquals(jobs.get(0).getJsonObject("result"), j.getJsonObject("result")));
      assertEquals(3, jobs.stream().filter(j -> j.getBoolean("cached", false)).count());
      assertEquals(3.0, metric(node, "inferbus_jobs_followed_total"));
      assertEquals(3.0, metric(node, "inferbus_inference_batch_size_sum"), "the model saw the three inputs once");
    }
  }

  @Test
  void nodesSharingRedisShareTheCache() {
    try (RedisServer redis = RedisServer.start()) {
      nodesShareTheCache(redis);
    }
  }

  private void nodesShareTheCache(RedisServer redis) {
    Map<String, String> shared = Map.of(
        "INFERBUS_CACHE_ENABLED", "true",
        "INFERBUS_REDIS_URL", redis.url(),
        "INFERBUS_REDIS_KEY_PREFIX", "inferbus-test-" + UUID.randomUUID() + ":");
    try (TestNode a = TestNode.start(SLOW_NOOP, shared); TestNode b = TestNode.start(SLOW_NOOP, shared)) {
      JsonObject job = new JsonObject().put("task", "noop").put("input", new JsonArray().add("x").add("y"));
      JsonObject ran = finished(a, submit(a, job).getString("id"));
      assertFalse(ran.containsKey("cached"));

      JsonObject repeat = submit(b, job);
      assertEquals(true, repeat.getBoolean("cached"), "b answers from the cache a filled");
      assertEquals(ran.getJsonObject("result"), finished(b, repeat.getString("id")).getJsonObject("result"));
      assertEquals(1.0, metric(b, "inferbus_cache_hits_total{store=\"redis\"}"));
      assertEquals(0.0, metric(b, "inferbus_inference_batch_size_count"), "b's model never ran");
    }
  }
}
