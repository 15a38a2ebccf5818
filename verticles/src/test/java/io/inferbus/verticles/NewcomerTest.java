package io.inferbus.verticles;

import static io.inferbus.verticles.JobApiTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** What a newcomer meets first on the packaged defaults: no limits, any client's key ignored, URL garbage answered without log noise. */
class NewcomerTest {

  @Test
  void thePackagedDefaultsLimitNobody() {
    try (TestNode node = TestNode.startOnPackagedDefaults()) {
      for (int i = 0; i < 25; i++) {
        HttpResponse<Buffer> answer = node.postJson("/v1/embeddings", new JsonObject().put("input", "call " + i));
        assertEquals(200, answer.statusCode(), "call " + i + ": " + answer.bodyAsString());
        assertNull(answer.getHeader("RateLimit-Limit"), "no limit, so no limit headers");
      }
    }
  }

  @Test
  void withNoKeysConfiguredWhateverKeyAClientSendsIsIgnored() {
    try (TestNode node = TestNode.startOnPackagedDefaults()) {
      JsonObject body = new JsonObject().put("input", "hello");
      assertEquals(200, node.postJson("/v1/embeddings", body, Map.of("Authorization", "Bearer sk-from-the-users-environment")).statusCode());
      assertEquals(200, node.postJson("/v1/embeddings", body, Map.of("X-API-Key", "anything")).statusCode());
      assertEquals(200, node.postJson("/v1/embeddings", body, Map.of("Authorization", "Basic dXNlcjpwYXNz")).statusCode());
    }
  }

  /**
   * Java's own HTTP client asks every new connection to upgrade to clear-text HTTP/2; with the
   * upgrade taken, larger answers came back corrupted now and then (7-22 % of these requests).
   */
  @Test
  void javasOwnHttpClientReadsLargeAnswersWhole() throws Exception {
    try (TestNode node = TestNode.startOnPackagedDefaults()) {
      List<String> failed = new ArrayList<>();
      Set<java.net.http.HttpClient.Version> versions = new HashSet<>();
      for (String path : List.of("/metrics", "/vendor/sockjs.min.js")) {
        for (int i = 0; i < 60; i++) {
          try {
            java.net.http.HttpResponse<String> answer = java.net.http.HttpClient.newHttpClient().sendAsync(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + node.port() + path)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(200, answer.statusCode(), path + ", request " + i);
            assertTrue(answer.body().length() > 10_000, path + ": " + answer.body().length() + " characters");
            versions.add(answer.version());
          } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            failed.add(path + ": " + e);
          }
        }
      }
      assertEquals(List.of(), failed);
      assertEquals(Set.of(java.net.http.HttpClient.Version.HTTP_1_1), versions);
    }
  }

  @Test
  void undecodableUrlsAnswer400WithoutAStackTraceInTheLog() {
    List<LogRecord> records = new CopyOnWriteArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord record) {
        records.add(record);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger root = Logger.getLogger("");
    root.addHandler(capture);
    try (TestNode node = TestNode.startOnPackagedDefaults()) {
      records.clear();
      for (String path : List.of("/v1/jobs/%ZZ", "/v1/jobs/%ZZ/events", "/v1/jobs/abc?last_event_id=%ZZ", "/%E0%A4%A", "/health/ready?x=%")) {
        assertError(node.get(path), 400, "bad_request");
      }
      assertEquals(200, node.get("/health/live").statusCode());
    } finally {
      root.removeHandler(capture);
    }
    List<LogRecord> noisy = records.stream().filter(r -> r.getThrown() != null || r.getLevel().intValue() >= Level.WARNING.intValue()).toList();
    assertTrue(noisy.isEmpty(), "logged: " + noisy.stream().map(r -> r.getLevel() + " " + r.getMessage()).toList());
  }
}
