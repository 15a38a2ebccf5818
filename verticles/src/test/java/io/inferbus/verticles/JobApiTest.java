package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The job API against one real node: real model, real event bus, real HTTP. */
class JobApiTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static TestNode node;

  @BeforeAll
  static void startNode() {
    node = TestNode.start(Map.of("INFERBUS_HTTP_SSE_HEARTBEAT_SECONDS", "1"));
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  private static JsonObject embedJob(Object input) {
    return new JsonObject().put("task", "embed").put("input", input);
  }

  private static JsonObject finishedJob(String id) {
    JsonObject[] job = new JsonObject[1];
    node.pollUntil("job " + id + " to end", WAIT, () -> {
      job[0] = node.get("/v1/jobs/" + id).bodyAsJsonObject();
      return List.of("succeeded", "failed", "cancelled").contains(job[0].getString("status"));
    });
    return job[0];
  }

  @Test
  void aSubmittedJobIsAcceptedWithItsLocationAndSucceedsWithOneUnitVectorPerInput() {
    HttpResponse<Buffer> accepted = node.postJson("/v1/jobs", embedJob(new JsonArray().add("A man is eating food.").add("Hello")));
    assertEquals(202, accepted.statusCode());
    JsonObject body = accepted.bodyAsJsonObject();
    String id = body.getString("id");
    assertEquals("queued", body.getString("status"));
    assertEquals("/v1/jobs/" + id, accepted.getHeader("Location"));
    assertEquals(id, java.util.UUID.fromString(id).toString());

    JsonObject job = finishedJob(id);
    assertEquals("succeeded", job.getString("status"));
    assertEquals("embed", job.getString("task"));
    assertEquals("all-minilm-l6-v2", job.getString("model"));
    assertEquals("normal", job.getString("priority"));
    assertEquals(new JsonObject().put("done", 2).put("total", 2), job.getJsonObject("progress"));
    assertNotNull(job.getString("started"));
    assertNotNull(job.getString("finished"));
    JsonObject result = job.getJsonObject("result");
    assertEquals(384, result.getInteger("dimensions"));
    assertTrue(result.getInteger("tokens") > 6);
    JsonArray embeddings = result.getJsonArray("embeddings");
    assertEquals(2, embeddings.size());
    for (int i = 0; i < 2; i++) {
      assertEquals(384, embeddings.getJsonArray(i).size());
      assertEquals(1.0, norm(embeddings.getJsonArray(i)), 1e-4);
    }
  }

  @Test
  void anEventStreamSubmissionGetsQueuedStartedProgressAndSucceededInOrderThenCloses() {
    SseRecorder sse = node.stream(HttpMethod.POST, "/v1/jobs", embedJob(Texts.sentences(40, 1)), Map.of());
    List<SseRecorder.Event> events = sse.awaitEnd(WAIT);
    assertEquals(200, sse.response().statusCode());
    assertTrue(sse.response().getHeader("Content-Type").startsWith("text/event-stream"));
    List<String> types = events.stream().map(SseRecorder.Event::type).toList();
    assertEquals(List.of("queued", "started", "progress", "progress", "progress", "succeeded"), types,
        "40 inputs in batches of 16 make three progress events");
    for (int i = 0; i < events.size(); i++) {
      assertEquals(i + 1, events.get(i).id());
    }
    int lastDone = 0;
    for (SseRecorder.Event e : events.subList(2, 5)) {
      int done = e.data().getInteger("done");
      assertTrue(done > lastDone);
      assertEquals(40, e.data().getInteger("total"));
      lastDone = done;
    }
    assertEquals(40, lastDone);
    assertEquals(40, events.get(5).data().getJsonObject("result").getJsonArray("embeddings").size());
    assertEquals(sse.chunkOf(4), sse.chunkOf(5), "the last progress and the success leave in one write");
  }

  @Test
  void theEventsEndpointReplaysTheWholeLogAndOnlyWhatFollowsLastEventId() {
    String id = node.postJson("/v1/jobs", embedJob(Texts.sentences(20, 2))).bodyAsJsonObject().getString("id");
    finishedJob(id);

    List<SseRecorder.Event> all = node.stream(HttpMethod.GET, "/v1/jobs/" + id + "/events", null, Map.of()).awaitEnd(WAIT);
    assertEquals(List.of("queued", "started", "progress", "progress", "succeeded"), all.stream().map(SseRecorder.Event::type).toList());

    List<SseRecorder.Event> rest = node.stream(HttpMethod.GET, "/v1/jobs/" + id + "/events", null, Map.of("Last-Event-ID", "3")).awaitEnd(WAIT);
    assertEquals(List.of(4L, 5L), rest.stream().map(SseRecorder.Event::id).toList());
    assertEquals(all.get(4).data(), rest.get(1).data());

    SseRecorder afterTheEnd = node.stream(HttpMethod.GET, "/v1/jobs/" + id + "/events", null, Map.of("Last-Event-ID", "5"));
    assertEquals(List.of(), afterTheEnd.awaitEnd(WAIT));
    assertEquals(204, afterTheEnd.response().statusCode(), "a client that saw the end is told not to reconnect (SSE's 204)");
    HttpResponse<Buffer> raw = node.get("/v1/jobs/" + id + "/events");
    assertTrue(raw.bodyAsString().startsWith("retry: 2000\n\n"), "streams tell browsers how soon to reconnect: " + raw.bodyAsString());

    HttpResponse<Buffer> bad = node.send(HttpMethod.GET, "/v1/jobs/" + id + "/events?last_event_id=abc", null, null);
    assertError(bad, 400, "invalid_last_event_id");
  }

  @Test
  void aLiveStreamJoinedMidwaySeesEveryLaterEventOnce() {
    String id = node.postJson("/v1/jobs", embedJob(Texts.slowInputs(64, 3))).bodyAsJsonObject().getString("id");
    SseRecorder sse = node.stream(HttpMethod.GET, "/v1/jobs/" + id + "/events", null, Map.of());
    List<SseRecorder.Event> events = sse.awaitEnd(WAIT);
    for (int i = 0; i < events.size(); i++) {
      assertEquals(i + 1, events.get(i).id(), "no event missing or repeated");
    }
    assertEquals("succeeded", events.get(events.size() - 1).type());
  }

  @Test
  void aQueuedJobIsCancelledBeforeItStartsAndAQueuedStreamGetsHeartbeats() {
    String bulk = node.postJson("/v1/jobs", embedJob(Texts.slowInputs(1000, 4))).bodyAsJsonObject().getString("id");
    String queued = node.postJson("/v1/jobs", embedJob("I wait behind the bulk job.")).bodyAsJsonObject().getString("id");
    SseRecorder sse = node.stream(HttpMethod.GET, "/v1/jobs/" + queued + "/events", null, Map.of());
    sse.awaitComment(Duration.ofSeconds(10), "heartbeat");

    HttpResponse<Buffer> cancelled = node.delete("/v1/jobs/" + queued);
    assertEquals(202, cancelled.statusCode());
    assertEquals("cancelled", cancelled.bodyAsJsonObject().getString("status"));
    assertEquals(List.of("queued", "cancelled"), sse.awaitEnd(WAIT).stream().map(SseRecorder.Event::type).toList());
    JsonObject job = node.get("/v1/jobs/" + queued).bodyAsJsonObject();
    assertEquals("cancelled", job.getString("status"));
    assertNull(job.getString("started"));

    assertEquals(202, node.delete("/v1/jobs/" + bulk).statusCode());
    assertEquals("cancelled", finishedJob(bulk).getString("status"));
  }

  @Test
  void aRunningMultiBatchJobStopsAtTheNextBatchBoundaryWhenCancelled() {
    SseRecorder sse = node.stream(HttpMethod.POST, "/v1/jobs", embedJob(Texts.slowInputs(1000, 5)), Map.of());
    SseRecorder.Event progress = sse.awaitEvent(WAIT, e -> e.type().equals("progress"));
    String id = sse.events().get(0).data().getString("id");
    assertEquals("/v1/jobs/" + id, sse.response().getHeader("Location"));

    HttpResponse<Buffer> cancelled = node.delete("/v1/jobs/" + id);
    assertEquals(202, cancelled.statusCode());
    List<SseRecorder.Event> events = sse.awaitEnd(WAIT);
    assertEquals("cancelled", events.get(events.size() - 1).type());
    assertEquals(1, events.stream().filter(e -> List.of("succeeded", "failed", "cancelled").contains(e.type())).count());

    JsonObject job = node.get("/v1/jobs/" + id).bodyAsJsonObject();
    assertEquals("cancelled", job.getString("status"));
    int done = job.getJsonObject("progress").getInteger("done");
    assertTrue(done >= progress.data().getInteger("done") && done < 1000, "stopped part way, done=" + done);
    assertFalse(job.containsKey("result"));

    node.pollUntil("the worker to go idle", WAIT, () -> metric("inferbus_worker_batches_running", "all-minilm-l6-v2") == 0.0);
    List<SseRecorder.Event> log = node.stream(HttpMethod.GET, "/v1/jobs/" + id + "/events", null, Map.of()).awaitEnd(WAIT);
    assertEquals(events.size(), log.size(), "nothing was logged after the cancellation");
    assertError(node.delete("/v1/jobs/" + id), 409, "job_finished");
  }

  @Test
  void aJobsVectorsAreIdenticalWhetherItRanAloneOrBatchedWithOtherJobs() {
    JsonArray input = Texts.sentences(3, 77);
    JsonArray alone = finishedJob(node.postJson("/v1/jobs", embedJob(input)).bodyAsJsonObject().getString("id"))
        .getJsonObject("result").getJsonArray("embeddings");

    double multiItemBatchesBefore = batchesLargerThanOne();
    List<io.vertx.core.Future<HttpResponse<Buffer>>> crowd = new java.util.ArrayList<>();
    for (int i = 0; i < 30; i++) {
      crowd.add(node.http.post("/v1/jobs").sendJsonObject(embedJob(Texts.sentences(1, 1000 + i))));
    }
    String batched = node.postJson("/v1/jobs", embedJob(input)).bodyAsJsonObject().getString("id");
    crowd.forEach(f -> finishedJob(TestNode.await(f).bodyAsJsonObject().getString("id")));
    assertEquals(alone, finishedJob(batched).getJsonObject("result").getJsonArray("embeddings"));
    assertTrue(batchesLargerThanOne() > multiItemBatchesBefore, "single-input jobs were batched together");
  }

  private static double batchesLargerThanOne() {
    String metrics = node.get("/metrics").bodyAsString();
    return series(metrics, "inferbus_inference_batch_size_count{model=\"all-minilm-l6-v2\"}")
        - series(metrics, "inferbus_inference_batch_size_bucket{model=\"all-minilm-l6-v2\",le=\"1.0\"}");
  }

  private static double series(String metrics, String series) {
    return metrics.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1))).sum();
  }

  @Test
  void openAiEmbeddingsEqualTheJobApiVectorsInFloatAndBase64() {
    JsonArray input = new JsonArray().add("A man is eating food.").add("A man is riding a horse.");
    JsonObject viaJobs = finishedJob(node.postJson("/v1/jobs", embedJob(input)).bodyAsJsonObject().getString("id"));
    JsonArray expected = viaJobs.getJsonObject("result").getJsonArray("embeddings");

    HttpResponse<Buffer> response = node.postJson("/v1/embeddings", new JsonObject().put("model", "all-minilm-l6-v2").put("input", input));
    assertEquals(200, response.statusCode());
    JsonObject body = response.bodyAsJsonObject();
    assertEquals("list", body.getString("object"));
    assertEquals("all-minilm-l6-v2", body.getString("model"));
    assertEquals(viaJobs.getJsonObject("result").getInteger("tokens"), body.getJsonObject("usage").getInteger("prompt_tokens"));
    JsonArray data = body.getJsonArray("data");
    for (int i = 0; i < 2; i++) {
      assertEquals("embedding", data.getJsonObject(i).getString("object"));
      assertEquals(i, data.getJsonObject(i).getInteger("index"));
      assertEquals(expected.getJsonArray(i), data.getJsonObject(i).getJsonArray("embedding"));
    }

    JsonObject b64 = node.postJson("/v1/embeddings", new JsonObject().put("input", "A man is eating food.").put("encoding_format", "base64"))
        .bodyAsJsonObject();
    ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(b64.getJsonArray("data").getJsonObject(0).getString("embedding")))
        .order(ByteOrder.LITTLE_ENDIAN);
    for (int d = 0; d < 384; d++) {
      assertEquals(expected.getJsonArray(0).getFloat(d), bytes.getFloat(), "dimension " + d);
    }
  }

  @Test
  void modelsHealthAndMetricsDescribeTheRunningService() {
    JsonObject models = node.get("/v1/models").bodyAsJsonObject();
    assertEquals(List.of("all-minilm-l6-v2", "ru-latn-cyrl"),
        models.getJsonArray("data").stream().map(m -> ((JsonObject) m).getString("id")).toList(), "noop is not listed unless configured");
    JsonObject model = models.getJsonArray("data").getJsonObject(0);
    assertEquals("all-minilm-l6-v2", model.getString("id"));
    assertEquals("embed", model.getString("task"));
    assertEquals(384, model.getInteger("dimensions"));
    assertEquals(256, model.getInteger("max_tokens"));
    assertEquals(node.node.nodeId(), model.getJsonArray("workers").getJsonObject(0).getString("node"));
    assertEquals("cpu", model.getJsonArray("workers").getJsonObject(0).getString("device"));

    assertEquals(200, node.get("/health/live").statusCode());
    HttpResponse<Buffer> ready = node.get("/health/ready");
    assertEquals(200, ready.statusCode());
    assertEquals("ready", ready.bodyAsJsonObject().getString("status"));

    finishedJob(node.postJson("/v1/jobs", embedJob("count me").put("priority", "low")).bodyAsJsonObject().getString("id"));
    String metrics = node.get("/metrics").bodyAsString();
    assertTrue(metrics.contains("inferbus_jobs_submitted_total{model=\"all-minilm-l6-v2\",priority=\"low\",task=\"embed\"}"), metrics);
    assertTrue(metrics.contains("inferbus_jobs_finished_total{error=\"none\",model=\"all-minilm-l6-v2\",outcome=\"succeeded\",priority=\"low\",task=\"embed\"}"));
    assertTrue(metrics.contains("inferbus_job_queue_wait_seconds_bucket{"));
    assertTrue(metrics.contains("inferbus_job_run_seconds_count{"));
    assertTrue(metrics.contains("inferbus_inference_batch_size_count{model=\"all-minilm-l6-v2\"}"));
    assertTrue(metrics.contains("inferbus_tokens_processed_total{model=\"all-minilm-l6-v2\"}"));
    assertTrue(metrics.contains("vertx_http_server_requests_total"));
  }

  @Test
  void badRequestsGetTheirStatusAndAJsonError() {
    assertError(node.send(HttpMethod.POST, "/v1/jobs", "application/json", Buffer.buffer("{\"task\":")), 400, "malformed_json");
    assertError(node.send(HttpMethod.POST, "/v1/jobs", "application/json", Buffer.buffer("[1,2]")), 400, "malformed_json");
    assertError(node.send(HttpMethod.POST, "/v1/jobs", "text/plain", Buffer.buffer("{}")), 415, "unsupported_media_type");
    assertError(node.send(HttpMethod.POST, "/v1/jobs", "application/json", Buffer.buffer("{\"input\":\"" + "a".repeat(1_100_000) + "\"}")),
        413, "payload_too_large");
    assertError(node.postJson("/v1/jobs", new JsonObject().put("input", "x")), 422, "invalid_task");
    assertError(node.postJson("/v1/jobs", new JsonObject().put("task", "translate").put("input", "x")), 422, "unknown_task");
    assertError(node.postJson("/v1/jobs", embedJob("x").put("model", "gpt-9")), 422, "unknown_model");
    assertEquals(202, node.postJson("/v1/jobs", embedJob("x").put("model", "all-MiniLM-L6-v2")).statusCode(),
        "a model named as Hugging Face spells it, in another case than its id");
    assertError(node.postJson("/v1/jobs", new JsonObject().put("task", "embed")), 422, "missing_input");
    assertError(node.postJson("/v1/jobs", embedJob(new JsonArray())), 422, "empty_input");
    assertError(node.postJson("/v1/jobs", embedJob(" \n\t ")), 422, "empty_input");
    assertError(node.postJson("/v1/jobs", embedJob(new JsonArray().add("fine").add(7))), 422, "invalid_input");
    JsonArray tooMany = new JsonArray();
    for (int i = 0; i < 2049; i++) {
      tooMany.add("x");
    }
    assertError(node.postJson("/v1/jobs", embedJob(tooMany)), 422, "too_many_inputs");
    assertError(node.postJson("/v1/jobs", embedJob("x").put("priority", "urgent")), 422, "invalid_priority");
    assertError(node.postJson("/v1/embeddings", new JsonObject().put("input", "x").put("encoding_format", "hex")), 422, "invalid_encoding_format");
    assertError(node.get("/v1/jobs/3f1b8a6e-0000-4000-8000-000000000000"), 404, "job_not_found");
    assertError(node.get("/v1/jobs/not-a-uuid"), 404, "job_not_found");
    assertError(node.get("/v1/jobs/3f1b8a6e-0000-4000-8000-000000000000/events"), 404, "job_not_found");
    assertError(node.delete("/v1/jobs/3f1b8a6e-0000-4000-8000-000000000000"), 404, "job_not_found");
    assertError(node.get("/v2/everything"), 404, "not_found");
    assertError(node.send(HttpMethod.PUT, "/v1/models", null, null), 405, "method_not_allowed");
  }

  static void assertError(HttpResponse<Buffer> response, int status, String code) {
    assertEquals(status, response.statusCode(), response.bodyAsString());
    assertTrue(response.getHeader("Content-Type").startsWith("application/json"));
    JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
    assertEquals(code, error.getString("code"));
    assertFalse(error.getString("message").isBlank());
    assertFalse(response.bodyAsString().contains("Exception"), "no stack traces");
  }

  private static double metric(String name, String label) {
    return node.get("/metrics").bodyAsString().lines()
        .filter(l -> l.startsWith(name + "{") && l.contains(label))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  private static double norm(JsonArray vector) {
    double s = 0;
    for (int i = 0; i < vector.size(); i++) {
      s += Math.pow(vector.getDouble(i), 2);
    }
    return Math.sqrt(s);
  }
}
