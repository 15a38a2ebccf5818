package io.inferbus.verticles;

import static io.inferbus.verticles.JobApiTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** API keys, priorities allowed per caller, token-bucket rate limits (shared through a real Redis), and the headers every answer carries. */
class AccessTest {
  private static final String FREE_KEY = "free-" + UUID.randomUUID();
  private static final String PREMIUM_KEY = "premium-" + UUID.randomUUID();

  /** Buckets that refill one token a minute: a test's counts are exact whatever the machine's speed. */
  private static final String KEYED_CONF = """
      models:
        - id: noop
          task: noop
          sessions: 1
      rate-limits:
        anonymous: {per-minute: 1, burst: 3}
        tiers:
          free: {per-minute: 1, burst: 2}
          premium: {per-minute: 1, burst: 4}
      auth:
        anonymous-max-priority: high
        keys:
          - {name: free-team, sha256: %s, tier: free, max-priority: normal}
          - {name: premium-team, sha256: %s, tier: premium, max-priority: critical}
      """.formatted(sha256(FREE_KEY), sha256(PREMIUM_KEY));

  private static final Map<String, String> LIMITED = Map.of(
      "INFERBUS_RATE_LIMITS_ANONYMOUS_PER_MINUTE", "1",
      "INFERBUS_AUTH_ANONYMOUS_MAX_PRIORITY", "high");

  private static JsonObject job(String priority) {
    return new JsonObject().put("task", "noop").put("input", "x").put("priority", priority);
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<Integer> submitMany(TestNode node, int count, Map<String, String> headers) {
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      statuses.add(node.postJson("/v1/jobs", job("normal"), headers).statusCode());
    }
    return statuses;
  }

  @Test
  void eachKeyHasItsTiersBucketAndAnOverLimitCallerIsToldWhenToComeBack() {
    try (TestNode node = TestNode.start(KEYED_CONF, LIMITED)) {
      assertEquals(List.of(202, 202, 429, 429), submitMany(node, 4, Map.of("Authorization", "Bearer " + FREE_KEY)));
      assertEquals(List.of(202, 202, 202, 202, 429), submitMany(node, 5, Map.of("X-API-Key", PREMIUM_KEY)));
      assertEquals(List.of(202, 202, 202, 429), submitMany(node, 4, Map.of()), "anonymous callers share their IP's bucket");

      HttpResponse<Buffer> refused = node.postJson("/v1/jobs", job("normal"), Map.of("Authorization", "Bearer " + FREE_KEY));
      assertError(refused, 429, "rate_limited");
      long retryAfter = Long.parseLong(refused.getHeader("Retry-After"));
      assertTrue(retryAfter >= 1 && retryAfter <= 60, "the next token comes within a minute: " + retryAfter);
      assertEquals("2", refused.getHeader("RateLimit-Limit"));
      assertEquals("0", refused.getHeader("RateLimit-Remaining"));
      assertTrue(Long.parseLong(refused.getHeader("RateLimit-Reset")) > 60, "a bucket of two refills in two minutes");
    }
  }

  @Test
  void unknownKeysAreUnauthorisedAndPrioritiesAboveAnAllowanceAreForbidden() {
    List<String> logged = new ArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord record) {
        logged.add(String.valueOf(record.getMessage()) + " " + String.valueOf(record.getThrown()));
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger.getLogger("").addHandler(capture);
    try (TestNode node = TestNode.start(KEYED_CONF, Map.of("INFERBUS_AUTH_ANONYMOUS_MAX_PRIORITY", "high"))) {
      assertError(node.postJson("/v1/jobs", job("normal"), Map.of("Authorization", "Bearer not-a-key")), 401, "invalid_api_key");
      assertError(node.postJson("/v1/jobs", job("normal"), Map.of("Authorization", "Basic Zm9vOmJhcg==")), 401, "invalid_api_key");
      assertError(node.get("/v1/jobs/" + UUID.randomUUID(), Map.of("X-API-Key", "not-a-key")), 401, "invalid_api_key");
      assertError(node.postJson("/v1/jobs", job("critical"), Map.of("Authorization", "Bearer " + FREE_KEY)), 403, "priority_not_allowed");
      assertError(node.postJson("/v1/jobs", job("high"), Map.of("Authorization", "Bearer " + FREE_KEY)), 403, "priority_not_allowed");
      assertEquals(202, node.postJson("/v1/jobs", job("normal"), Map.of("Authorization", "Bearer " + FREE_KEY)).statusCode());
      assertEquals(202, node.postJson("/v1/jobs", job("critical"), Map.of("Authorization", "Bearer " + PREMIUM_KEY)).statusCode());
      assertError(node.postJson("/v1/jobs", job("critical"), Map.of()), 403, "priority_not_allowed");
      assertEquals(202, node.postJson("/v1/jobs", job("high"), Map.of()).statusCode());
    } finally {
      Logger.getLogger("").removeHandler(capture);
    }
    assertTrue(logged.stream().noneMatch(line -> line.contains(FREE_KEY) || line.contains(PREMIUM_KEY) || line.contains("not-a-key")),
        "no key reaches the log");
  }

  @Test
  void withAnonymousAccessOffEveryApiCallNeedsAKeyButHealthDoesNot() {
    try (TestNode node = TestNode.start(KEYED_CONF, Map.of("INFERBUS_AUTH_ANONYMOUS", "false"))) {
      HttpResponse<Buffer> refused = node.postJson("/v1/jobs", job("normal"), Map.of());
      assertError(refused, 401, "api_key_required");
      assertError(node.get("/v1/models", Map.of()), 401, "api_key_required");
      assertEquals(200, node.get("/v1/models", Map.of("X-API-Key", PREMIUM_KEY)).statusCode());
      assertEquals(200, node.get("/health/live").statusCode());
    }
  }

  @Test
  void twoApiNodesSharingRedisDrawFromOneBucketPerCaller() {
    try (RedisServer redis = RedisServer.start()) {
      twoApiNodesDrawFromOneBucket(redis);
    }
  }

  private void twoApiNodesDrawFromOneBucket(RedisServer redis) {
    Map<String, String> shared = Map.of(
        "INFERBUS_REDIS_URL", redis.url(),
        "INFERBUS_REDIS_KEY_PREFIX", "inferbus-test-" + UUID.randomUUID() + ":",
        "INFERBUS_RATE_LIMITS_ANONYMOUS_PER_MINUTE", "1",
        "INFERBUS_RATE_LIMITS_ANONYMOUS_BURST", "5");
    try (TestNode a = TestNode.start(KEYED_CONF, shared); TestNode b = TestNode.start(KEYED_CONF, shared)) {
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        statuses.add((i % 2 == 0 ? a : b).postJson("/v1/jobs", job("normal"), Map.of()).statusCode());
      }
      assertEquals(List.of(202, 202, 202, 202, 202, 429, 429, 429), statuses, "one bucket of five across both nodes");
      assertEquals(List.of(202, 202, 429), submitMany(b, 3, Map.of("X-API-Key", FREE_KEY)), "a key's bucket is its own");
    }
  }

  @Test
  void everyAnswerCarriesSecurityHeadersAndOnlyAllowedOriginsGetCors() {
    try (TestNode node = TestNode.start(KEYED_CONF, Map.of("INFERBUS_HTTP_CORS_ORIGINS", "https://app.example"))) {
      HttpResponse<Buffer> notFound = node.get("/nowhere", Map.of());
      HttpResponse<Buffer> models = node.get("/v1/models", Map.of("Origin", "https://app.example"));
      for (HttpResponse<Buffer> response : List.of(notFound, models)) {
        assertEquals("nosniff", response.getHeader("X-Content-Type-Options"));
        assertEquals("DENY", response.getHeader("X-Frame-Options"));
        assertTrue(response.getHeader("Content-Security-Policy").contains("default-src 'none'"));
      }
      assertEquals("https://app.example", models.getHeader("Access-Control-Allow-Origin"));
      HttpResponse<Buffer> stranger = node.get("/v1/models", Map.of("Origin", "https://evil.example"));
      assertError(stranger, 403, "origin_not_allowed");
      assertNull(stranger.getHeader("Access-Control-Allow-Origin"));
    }
    try (TestNode sameOrigin = TestNode.start(KEYED_CONF, Map.of())) {
      assertNull(sameOrigin.get("/v1/models", Map.of("Origin", "https://app.example")).getHeader("Access-Control-Allow-Origin"),
          "by default no other origin may read answers");
    }
  }
}
