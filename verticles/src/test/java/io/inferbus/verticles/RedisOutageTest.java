package io.inferbus.verticles;

import static io.inferbus.verticles.JobApiTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Redis killed under load and started again: documented 503s at most, nothing accepted lost, recovery without a restart. */
class RedisOutageTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled", "expired");

  private static TestNode noopNode(int delayMs, Map<String, String> env) {
    return TestNode.start("models:\n  - id: noop\n    task: noop\n    delay-ms: " + delayMs + "\n    sessions: 1\n", env);
  }

  private static JsonObject job(int items, String tag) {
    JsonArray input = new JsonArray();
    for (int i = 0; i < items; i++) {
      input.add(tag + " " + i);
    }
    return new JsonObject().put("task", "noop").put("input", input);
  }

  private static JsonObject finished(TestNode node, String id) {
    JsonObject[] job = new JsonObject[1];
    node.pollUntil("job " + id + " to end", WAIT, () -> {
      HttpResponse<Buffer> response = node.get("/v1/jobs/" + id);
      return response.statusCode() == 200 && TERMINAL.contains((job[0] = response.bodyAsJsonObject()).getString("status"));
    });
    return job[0];
  }

  private static String readyStatus(TestNode node) {
    return node.get("/health/ready").bodyAsJsonObject().getString("status");
  }

  @Test
  void withTheCacheAndLimitsInRedisAnOutageDegradesButRefusesNothing() throws Exception {
    try (RedisServer redis = RedisServer.start();
         TestNode node = noopNode(1, Map.of(
             "INFERBUS_REDIS_URL", redis.url(),
             "INFERBUS_REDIS_COMMAND_TIMEOUT_MS", "300",
             "INFERBUS_CACHE_ENABLED", "true",
             "INFERBUS_RATE_LIMITS_ANONYMOUS_PER_MINUTE", "1000000",
             "INFERBUS_RATE_LIMITS_ANONYMOUS_BURST", "1000000"))) {
      List<String> accepted = new CopyOnWriteArrayList<>();
      List<String> refused = new CopyOnWriteArrayList<>();
      AtomicBoolean loading = new AtomicBoolean(true);
      Thread load = new Thread(() -> {
        int n = 0;
        while (loading.get()) {
          HttpResponse<Buffer> response = node.postJson("/v1/jobs", job(2, "job " + n++ % 50));
          if (response.statusCode() == 202) {
            accepted.add(response.bodyAsJsonObject().getString("id"));
          } else {
            refused.add(response.statusCode() + " " + response.bodyAsString());
          }
        }
      }, "load");
      load.start();
      node.pollUntil("load to build up", WAIT, () -> accepted.size() >= 30);
      assertEquals("ready", readyStatus(node));

      redis.kill();
      int beforeOutage = accepted.size();
      node.pollUntil("the node to notice", WAIT, () -> readyStatus(node).equals("degraded"));
      HttpResponse<Buffer> degraded = node.get("/health/ready");
      assertEquals(200, degraded.statusCode(), "still serving: only the cache and shared limits are gone");
      assertTrue(degraded.bodyAsJsonObject().getString("reason").contains("Redis"));
      node.pollUntil("jobs to be accepted during the outage", WAIT, () -> accepted.size() >= beforeOutage + 30);

      redis.restart();
      node.pollUntil("the node to use Redis again", WAIT, () -> readyStatus(node).equals("ready"));
      int afterRecovery = accepted.size();
      node.pollUntil("jobs to be accepted after recovery", WAIT, () -> accepted.size() >= afterRecovery + 30);
      loading.set(false);
      load.join();

      assertEquals(List.of(), refused, "nothing refused: without Redis the node falls back to its own cache and limits");
      for (String id : accepted) {
        assertEquals("succeeded", finished(node, id).getString("status"));
      }
    }
  }

  @Test
  void whileRedisIsDownEachNodeStillEnforcesTheLimitsWithItsOwnBuckets() throws Exception {
    String limitedKey = "limited-" + UUID.randomUUID();
    String probeKey = "probe-" + UUID.randomUUID();
    String conf = """
        models:
          - {id: noop, task: noop, sessions: 1}
        rate-limits:
          tiers:
            free: {per-minute: 1, burst: 3}
            premium: {per-minute: 1000000, burst: 1000000}
        auth:
          keys:
            - {name: limited, sha256: %s, tier: free, max-priority: high}
            - {name: probe, sha256: %s, tier: premium, max-priority: high}
        """.formatted(AccessTest.sha256(limitedKey), AccessTest.sha256(probeKey));
    try (RedisServer redis = RedisServer.start();
         TestNode node = TestNode.start(conf, Map.of("INFERBUS_REDIS_URL", redis.url(), "INFERBUS_REDIS_COMMAND_TIMEOUT_MS", "300"))) {
      Map<String, String> limited = Map.of("X-API-Key", limitedKey);
      Map<String, String> probe = Map.of("X-API-Key", probeKey);
      assertEquals(List.of(202, 202, 202, 429), submitFour(node, limited), "the shared bucket in Redis");

      redis.kill();
      node.pollUntil("the node to notice", WAIT, () -> {
        assertEquals(202, node.postJson("/v1/jobs", job(1, "probe"), probe).statusCode());
        return readyStatus(node).equals("degraded");
      });
      assertEquals(List.of(202, 202, 202, 429), submitFour(node, limited), "this node's own bucket: limited, not unlimited");

      redis.restart();
      node.pollUntil("the node to use Redis again", WAIT, () -> {
        assertEquals(202, node.postJson("/v1/jobs", job(1, "probe"), probe).statusCode());
        return readyStatus(node).equals("ready");
      });
      HttpResponse<Buffer> shared = node.postJson("/v1/jobs", job(1, "after"), limited);
      assertError(shared, 429, "rate_limited");
      assertEquals("0", shared.getHeader("RateLimit-Remaining"), "back on the shared bucket, which Redis kept spent");
    }
  }

  private static List<Integer> submitFour(TestNode node, Map<String, String> headers) {
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      statuses.add(node.postJson("/v1/jobs", job(1, "limited " + i), headers).statusCode());
    }
    return statuses;
  }


  /**
   * Nothing but readiness probes reach the node: it notices the outage by itself within 2 s, never
   * answers "ready" while a submission would be refused (across the breaker's half-open trials),
   * and notices the end of the outage by itself too.
   */
  @Test
  void readinessFollowsRedisWithoutTrafficAndAgreesWithSubmissions() {
    try (RedisServer redis = RedisServer.start();
         TestNode node = noopNode(1, Map.of(
             "INFERBUS_REDIS_URL", redis.url(),
             "INFERBUS_REDIS_JOB_STORE", "true",
             "INFERBUS_REDIS_COMMAND_TIMEOUT_MS", "300",
             "INFERBUS_REDIS_BREAKER_RESET_MS", "500"))) {
      node.pollUntil("the node to be ready", WAIT, () -> readyStatus(node).equals("ready"));
      redis.kill();
      long killed = System.nanoTime();
      node.pollUntil("readiness to notice the outage", WAIT, () -> readyStatus(node).equals("store_unavailable"));
      long noticedMillis = (System.nanoTime() - killed) / 1_000_000;
      assertTrue(noticedMillis < 2000, "noticed after " + noticedMillis + " ms");

      long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      int probes = 0;
      while (System.nanoTime() < until) {
        HttpResponse<Buffer> ready = node.get("/health/ready");
        assertEquals(503, ready.statusCode(), "probe " + probes + " during the outage: " + ready.bodyAsString());
        assertTrue(ready.bodyAsJsonObject().getString("reason").contains("new jobs are refused"), ready.bodyAsString());
        assertError(node.postJson("/v1/jobs", job(1, "probe " + probes)), 503, "store_unavailable");
        probes++;
      }

      redis.restart();
      node.pollUntil("readiness to notice Redis is back", WAIT, () -> readyStatus(node).equals("ready"));
      assertEquals(202, node.postJson("/v1/jobs", job(1, "after")).statusCode());
    }
  }

  @Test
  void withJobsInRedisAnOutageRefusesNewJobsAndAcceptedOnesFinishOnceItIsBack() {
    try (RedisServer redis = RedisServer.start();
         TestNode node = noopNode(100, Map.of(
             "INFERBUS_REDIS_URL", redis.url(),
             "INFERBUS_REDIS_JOB_STORE", "true",
             "INFERBUS_REDIS_COMMAND_TIMEOUT_MS", "300"))) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        HttpResponse<Buffer> accepted = node.postJson("/v1/jobs", job(5, "durable " + i));
        assertEquals(202, accepted.statusCode(), accepted.bodyAsString());
        ids.add(accepted.bodyAsJsonObject().getString("id"));
      }
      node.pollUntil("the first job to run", WAIT, () -> node.get("/v1/jobs/" + ids.get(0)).bodyAsJsonObject().getString("status").equals("running"));

      redis.kill();
      HttpResponse<Buffer> refused = node.postJson("/v1/jobs", job(1, "during the outage"));
      assertError(refused, 503, "store_unavailable");
      assertTrue(Integer.parseInt(refused.getHeader("Retry-After")) > 0);
      node.pollUntil("the node to report it", WAIT, () -> readyStatus(node).equals("store_unavailable"));
      assertEquals(503, node.get("/health/ready").statusCode(), "a node that cannot record jobs is not ready for them");
      assertError(node.postJson("/v1/jobs", job(1, "still out")), 503, "store_unavailable");

      redis.restart();
      node.pollUntil("new jobs to be accepted again", WAIT, () -> node.postJson("/v1/jobs", job(1, "after")).statusCode() == 202);
      for (String id : ids) {
        assertEquals("succeeded", finished(node, id).getString("status"), "accepted before the outage, finished after it");
      }
    }
  }

  @Test
  void jobsAcceptedBeforeTheWholeServiceStoppedFinishAfterItStartsAgain() {
    try (RedisServer redis = RedisServer.start()) {
      jobsFinishAfterARestart(redis);
    }
  }

  private void jobsFinishAfterARestart(RedisServer redis) {
    Map<String, String> store = Map.of(
        "INFERBUS_REDIS_URL", redis.url(),
        "INFERBUS_REDIS_KEY_PREFIX", "inferbus-test-" + UUID.randomUUID() + ":",
        "INFERBUS_REDIS_JOB_STORE", "true",
        "INFERBUS_REDIS_NODE_TTL_SECONDS", "2",
        "INFERBUS_DRAIN_TIMEOUT_SECONDS", "1");
    List<String> ids = new ArrayList<>();
    TestNode first = noopNode(200, store);
    try {
      for (int i = 0; i < 4; i++) {
        ids.add(first.postJson("/v1/jobs", job(5, "restart " + i)).bodyAsJsonObject().getString("id"));
      }
      first.pollUntil("the first job to run", WAIT, () -> first.get("/v1/jobs/" + ids.get(0)).bodyAsJsonObject().getString("status").equals("running"));
    } finally {
      first.close();
    }
    try (TestNode second = noopNode(200, store)) {
      List<JsonObject> jobs = ids.stream().map(id -> finished(second, id)).toList();
      jobs.forEach(job -> assertEquals("succeeded", job.getString("status"), job.encode()));
      assertTrue(jobs.stream().anyMatch(job -> job.getJsonObject("result") != null));
    }
  }
}
