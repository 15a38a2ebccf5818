package io.inferbus.verticles;

import static io.inferbus.verticles.JobApiTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Hand-overs that no worker confirms, made real by holding back or losing the bus messages that
 * carry jobs to a real worker: retries with backoff under a new attempt, late confirmations
 * refused, a clear failure after the bounded number of tries, and the breaker that turns further
 * submissions away until the worker answers again.
 */
class DispatchRetryTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Map<String, String> SHORT_HANDOVERS = Map.of(
      "INFERBUS_DISPATCH_TIMEOUT_MS", "200",
      "INFERBUS_DISPATCH_ATTEMPTS", "3",
      "INFERBUS_DISPATCH_BREAKER_FAILURES", "3",
      "INFERBUS_DISPATCH_BREAKER_RESET_MS", "500");

  private static TestNode noopNode() {
    return TestNode.start("models:\n  - id: noop\n    task: noop\n    sessions: 1\n", SHORT_HANDOVERS);
  }

  private static JsonObject noopJob() {
    return new JsonObject().put("task", "noop").put("input", "x");
  }

  private static boolean isHandOver(DeliveryContext<?> delivery) {
    return delivery.message().address().startsWith("inferbus.work.noop.");
  }

  @Test
  void aConfirmationThatComesTooLateIsRefusedAndTheJobRunsOnceUnderItsNextAttempt() {
    try (TestNode node = noopNode()) {
      AtomicInteger held = new AtomicInteger();
      Handler<DeliveryContext<Object>> holdFirst = delivery -> {
        if (isHandOver(delivery) && held.getAndIncrement() == 0) {
          node.node.vertx().setTimer(1500, t -> delivery.next());
        } else {
          delivery.next();
        }
      };
      node.node.vertx().eventBus().addOutboundInterceptor(holdFirst);

      List<SseRecorder.Event> events = node.stream(HttpMethod.POST, "/v1/jobs", noopJob(), Map.of()).awaitEnd(WAIT);

      assertEquals("succeeded", events.get(events.size() - 1).type(), events.toString());
      List<SseRecorder.Event> started = events.stream().filter(e -> e.type().equals("started")).toList();
      assertEquals(1, started.size(), "one start: " + events);
      assertEquals(2, started.get(0).data().getInteger("attempt"), "the job moved to a new attempt when its hand-over timed out");
      assertTrue(events.stream().anyMatch(e -> e.type().equals("queued") && "handover_timeout".equals(e.data().getString("reason"))),
          events.toString());
      assertEquals(1, events.stream().filter(e -> Set.of("succeeded", "failed", "cancelled", "expired").contains(e.type())).count());

      node.pollUntil("the worker to run the late first attempt as well", WAIT,
          () -> metrics(node).contains("inferbus_worker_batch_run_seconds_count{model=\"noop\"} 2\n"));
      String id = events.get(0).data().getString("id");
      List<SseRecorder.Event> replayed = node.stream(HttpMethod.GET, "/v1/jobs/" + id + "/events", null, Map.of()).awaitEnd(WAIT);
      assertEquals(logged(events), logged(replayed),
          "what the stale attempt reported was refused");
      assertEquals(List.of("x"), node.get("/v1/jobs/" + id).bodyAsJsonObject().getJsonObject("result").getJsonArray("outputs").getList());
    }
  }

  @Test
  void aJobNoWorkerConfirmsFailsAfterTheBoundedTriesAndTheOpenBreakerRefusesNewJobsUntilTheWorkerAnswers() {
    try (TestNode node = noopNode()) {
      AtomicInteger lost = new AtomicInteger();
      Handler<DeliveryContext<Object>> loseAll = delivery -> {
        if (isHandOver(delivery)) {
          lost.incrementAndGet();
        } else {
          delivery.next();
        }
      };
      node.node.vertx().eventBus().addOutboundInterceptor(loseAll);

      List<SseRecorder.Event> events = node.stream(HttpMethod.POST, "/v1/jobs", noopJob(), Map.of()).awaitEnd(WAIT);

      SseRecorder.Event end = events.get(events.size() - 1);
      assertEquals("failed", end.type(), events.toString());
      assertEquals("no_worker", end.data().getJsonObject("error").getString("code"));
      assertTrue(end.data().getJsonObject("error").getString("message").contains("3 tries"), end.data().encode());
      assertEquals(3, lost.get(), "three hand-overs, no more");

      assertTrue(metrics(node).contains("inferbus_dispatch_breaker_state{model=\"noop\"} 2.0"), "the breaker is open");
      assertError(node.postJson("/v1/jobs", noopJob()), 503, "no_worker");

      node.node.vertx().eventBus().removeOutboundInterceptor(loseAll);
      String[] accepted = new String[1];
      node.pollUntil("a submission to be accepted again", WAIT, () -> {
        var response = node.postJson("/v1/jobs", noopJob());
        if (response.statusCode() == 202) {
          accepted[0] = response.bodyAsJsonObject().getString("id");
          return true;
        }
        assertError(response, 503, "no_worker");
        return false;
      });
      node.pollUntil("the job to succeed", WAIT,
          () -> "succeeded".equals(node.get("/v1/jobs/" + accepted[0]).bodyAsJsonObject().getString("status")));
      node.pollUntil("the breaker to close", WAIT, () -> metrics(node).contains("inferbus_dispatch_breaker_state{model=\"noop\"} 0.0"));
    }
  }

  /** The events of the job's log, without the position news that carries no id. */
  private static List<String> logged(List<SseRecorder.Event> events) {
    return events.stream().filter(e -> e.id() > 0).map(e -> e.id() + " " + e.type()).toList();
  }

  private static String metrics(TestNode node) {
    return node.get("/metrics").bodyAsString();
  }
}
