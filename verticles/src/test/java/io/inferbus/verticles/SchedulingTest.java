package io.inferbus.verticles;

import static io.inferbus.verticles.JobApiTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Priorities, bounds, deadlines, positions and cancellation, on a node serving the noop model, whose per-item delay stands in for compute. */
class SchedulingTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled", "expired");

  private static TestNode noopNode(int delayMs, Map<String, String> env) {
    return TestNode.start("models:\n  - id: noop\n    task: noop\n    delay-ms: " + delayMs + "\n    sessions: 1\n", env);
  }

  private static JsonObject noopJob(int items, String priority) {
    JsonArray input = new JsonArray();
    for (int i = 0; i < items; i++) {
      input.add("item " + i);
    }
    return new JsonObject().put("task", "noop").put("input", input).put("priority", priority);
  }

  private static String submit(TestNode node, JsonObject job) {
    HttpResponse<Buffer> accepted = node.postJson("/v1/jobs", job);
    assertEquals(202, accepted.statusCode(), accepted.bodyAsString());
    return accepted.bodyAsJsonObject().getString("id");
  }

  /** A job that keeps the only session busy: what the scenario's other jobs wait behind. */
  private static String submitRunning(TestNode node, JsonObject job) {
    String id = submit(node, job);
    awaitStatus(node, id, Set.of("running"));
    return id;
  }

  private static JsonObject job(TestNode node, String id) {
    return node.get("/v1/jobs/" + id).bodyAsJsonObject();
  }

  private static JsonObject awaitStatus(TestNode node, String id, Set<String> statuses) {
    JsonObject[] last = new JsonObject[1];
    node.pollUntil("job " + id + " to be " + statuses, WAIT, () -> statuses.contains((last[0] = job(node, id)).getString("status")));
    return last[0];
  }

  private static Instant started(JsonObject job) {
    return Instant.parse(job.getString("started"));
  }

  @Test
  void theMostUrgentWaitingJobRunsNextAndAnOlderBulkJobYieldsAtItsNextBatch() {
    // Batches of 100 ms: the four jobs below must all be waiting at one batch boundary, and a boundary
    // falling between two of their submissions (a few ms apart on a loaded machine) would start the less
    // urgent one first (seen once with 30 ms batches).
    try (TestNode node = noopNode(100, Map.of("INFERBUS_WORKER_BATCH_ITEMS", "1", "INFERBUS_WORKER_PREFETCH_JOBS", "100"))) {
      String bulk = submitRunning(node, noopJob(20, "low"));
      String laterLow = submit(node, noopJob(1, "low"));
      String normal = submit(node, noopJob(1, "normal"));
      String high = submit(node, noopJob(1, "high"));
      String critical = submit(node, noopJob(1, "critical"));
      for (String id : List.of(bulk, laterLow, normal, high, critical)) {
        assertEquals("succeeded", awaitStatus(node, id, TERMINAL).getString("status"));
      }
      assertTrue(started(job(node, critical)).isBefore(started(job(node, high))), "critical before high");
      assertTrue(started(job(node, high)).isBefore(started(job(node, normal))), "high before normal");
      Instant bulkFinished = Instant.parse(job(node, bulk).getString("finished"));
      assertTrue(started(job(node, normal)).isBefore(bulkFinished), "newer urgent work overtakes the running bulk job");
      assertFalse(started(job(node, laterLow)).isBefore(bulkFinished), "same priority: first come, first served");
    }
  }

  @Test
  void aFullQueueAnswers429WithRetryAfterPerLevelAndLosesNothingItAccepted() {
    try (TestNode node = noopNode(100, Map.of("INFERBUS_WORKER_PREFETCH_JOBS", "1", "INFERBUS_WORKER_BATCH_ITEMS", "1",
        "INFERBUS_SCHEDULING_MAX_QUEUED_LOW", "2"))) {
      String blocker = submitRunning(node, noopJob(20, "low"));
      List<String> accepted = new ArrayList<>(List.of(blocker));
      HttpResponse<Buffer> refused = null;
      for (int i = 0; i < 10 && refused == null; i++) {
        HttpResponse<Buffer> response = node.postJson("/v1/jobs", noopJob(1, "low"));
        if (response.statusCode() == 202) {
          accepted.add(response.bodyAsJsonObject().getString("id"));
        } else {
          refused = response;
        }
      }
      assertTrue(refused != null, "the low queue filled up");
      assertError(refused, 429, "queue_full");
      assertTrue(Integer.parseInt(refused.getHeader("Retry-After")) > 0);
      assertTrue(accepted.size() <= 1 + 1 + 2, "blocker, the one job the worker prefetches, two waiting: " + accepted.size());
      accepted.add(submit(node, noopJob(1, "high")));

      for (String id : accepted) {
        assertEquals("succeeded", awaitStatus(node, id, TERMINAL).getString("status"), "accepted work is never dropped");
      }
    }
  }

  @Test
  void aJobStillQueuedAtItsDeadlineExpiresWithAClearReason() {
    try (TestNode node = noopNode(200, Map.of("INFERBUS_WORKER_PREFETCH_JOBS", "1", "INFERBUS_WORKER_BATCH_ITEMS", "1"))) {
      String blocker = submitRunning(node, noopJob(15, "normal"));
      submit(node, noopJob(1, "normal"));
      SseRecorder sse = node.stream(HttpMethod.POST, "/v1/jobs", noopJob(1, "normal").put("deadline_ms", 300), Map.of());
      List<SseRecorder.Event> events = sse.awaitEnd(WAIT);
      assertEquals("queued", events.get(0).type());
      assertEquals("expired", events.get(events.size() - 1).type());
      assertTrue(events.stream().noneMatch(e -> e.type().equals("started")));
      JsonObject expired = job(node, events.get(0).data().getString("id"));
      assertEquals("expired", expired.getString("status"));
      assertEquals("deadline_passed", expired.getJsonObject("error").getString("code"));

      assertError(node.postJson("/v1/jobs", noopJob(1, "normal").put("deadline_ms", 0)), 422, "invalid_deadline");
      assertError(node.postJson("/v1/jobs", noopJob(1, "normal").put("deadline_ms", "soon")), 422, "invalid_deadline");
      node.delete("/v1/jobs/" + blocker);
    }
  }

  @Test
  void aQueuedJobHearsItsPositionAsItMovesUp() {
    try (TestNode node = noopNode(150, Map.of("INFERBUS_WORKER_PREFETCH_JOBS", "1", "INFERBUS_WORKER_BATCH_ITEMS", "1",
        "INFERBUS_SCHEDULING_POSITION_UPDATES_MS", "100"))) {
      String blocker = submitRunning(node, noopJob(4, "normal"));
      for (int i = 0; i < 3; i++) {
        submit(node, noopJob(1, "normal"));
      }
      List<SseRecorder.Event> events = node.stream(HttpMethod.POST, "/v1/jobs", noopJob(1, "normal"), Map.of()).awaitEnd(WAIT);
      List<Integer> positions = events.stream()
          .filter(e -> e.type().equals("queued") && e.data().containsKey("position"))
          .map(e -> e.data().getInteger("position"))
          .toList();
      assertFalse(positions.isEmpty(), "position news arrived: " + events);
      assertTrue(positions.get(0) >= 1, "it waited behind others: " + positions);
      for (int i = 1; i < positions.size(); i++) {
        assertTrue(positions.get(i) < positions.get(i - 1), "positions only move up: " + positions);
      }
      assertTrue(events.stream().anyMatch(e -> e.data().getLong("estimated_wait_ms", 0L) > 0),
          "once jobs have been handed out, position news estimates the wait: " + events);
      assertTrue(events.stream().filter(e -> e.data().containsKey("position")).allMatch(e -> e.id() == -1),
          "position news is not part of the replayable log (no id)");
      assertEquals("succeeded", events.get(events.size() - 1).type());
    }
  }

  @Test
  void cancellingARunningJobAbortsItsLongBatchAtOnce() {
    try (TestNode node = noopNode(1000, Map.of("INFERBUS_WORKER_BATCH_ITEMS", "8"))) {
      String id = submitRunning(node, noopJob(8, "normal"));
      SseRecorder quiet = node.stream(HttpMethod.GET, "/v1/jobs/" + id + "/events", null, Map.of("Last-Event-ID", "2"));
      assertEquals(200, quiet.response(Duration.ofSeconds(5)).statusCode(),
          "a stream with no news yet opens at once, long before its first heartbeat (15 s)");
      assertEquals(List.of(), quiet.events());
      assertEquals(202, node.delete("/v1/jobs/" + id).statusCode());
      assertEquals(List.of("cancelled"), quiet.awaitEnd(WAIT).stream().map(SseRecorder.Event::type).toList());
      node.pollUntil("the 8-second batch to be aborted", Duration.ofSeconds(3),
          () -> node.get("/metrics").bodyAsString().contains("inferbus_worker_batches_running{model=\"noop\"} 0.0"));
      assertEquals("cancelled", job(node, id).getString("status"));
      assertEquals(0, job(node, id).getJsonObject("progress").getInteger("done"));

      JsonObject models = node.get("/v1/models").bodyAsJsonObject();
      assertEquals("noop", models.getJsonArray("data").getJsonObject(0).getString("id"), "noop is listed when configured");
      assertEquals("noop", models.getJsonArray("data").getJsonObject(0).getString("task"));
    }
  }

  @Test
  void aBatchWaitsForMoreJobsUpToItsMaximumWaitAndAFullOneStartsAtOnce() {
    try (TestNode node = noopNode(0, Map.of("INFERBUS_WORKER_BATCH_ITEMS", "4", "INFERBUS_WORKER_BATCH_WAIT_MS", "60000", "INFERBUS_WORKER_PREFETCH_JOBS", "8"))) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        ids.add(submit(node, noopJob(1, "normal")));
      }
      node.pollUntil("four items to fill the batch, which then starts without waiting its minute", Duration.ofSeconds(20),
          () -> ids.stream().allMatch(id -> "succeeded".equals(job(node, id).getString("status"))));
      assertEquals(1.0, metric(node, "inferbus_inference_batch_size_count{model=\"noop\"}"), "one batch");
      assertEquals(4.0, metric(node, "inferbus_inference_batch_size_sum{model=\"noop\"}"), "of four jobs");
    }
    try (TestNode node = noopNode(0, Map.of("INFERBUS_WORKER_BATCH_ITEMS", "4", "INFERBUS_WORKER_BATCH_WAIT_MS", "300"))) {
      String alone = submit(node, noopJob(1, "normal"));
      assertEquals("succeeded", awaitStatus(node, alone, TERMINAL).getString("status"), "a batch that never fills starts after its wait");
      assertEquals(1.0, metric(node, "inferbus_inference_batch_size_sum{model=\"noop\"}"));
    }
  }

  @Test
  void aJobWaitingAtAWorkerExpiresAtItsDeadlineNotWhenItReachesTheHead() {
    try (TestNode node = noopNode(10_000, Map.of("INFERBUS_WORKER_BATCH_ITEMS", "1", "INFERBUS_WORKER_PREFETCH_JOBS", "4"))) {
      String blocker = submitRunning(node, noopJob(1, "normal"));
      String late = submit(node, noopJob(1, "normal").put("deadline_ms", 500));
      JsonObject expired = awaitStatus(node, late, TERMINAL);
      assertEquals("expired", expired.getString("status"));
      assertEquals("running", job(node, blocker).getString("status"), "it expired while the job ahead of it still ran");
      assertEquals(202, node.delete("/v1/jobs/" + blocker).statusCode());
    }
  }

  private static double metric(TestNode node, String series) {
    return node.get("/metrics").bodyAsString().lines()
        .filter(l -> l.startsWith(series + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
        .sum();
  }
}
