package io.inferbus.verticles;

import static io.inferbus.verticles.JobApiTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The generative path over HTTP and SSE with the packaged ru-latn-cyrl model: text streamed as it grows (every decoder step reported). */
class TransliterationTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static TestNode node;

  @BeforeAll
  static void startNode() {
    node = TestNode.start(Map.of("INFERBUS_WORKER_STREAM_INTERVAL_MS", "0"));
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  private static JsonObject job(Object input) {
    return new JsonObject().put("task", "transliterate").put("input", input);
  }

  /** Each event's text is the last one's plus its delta: text only ever grows, and the deltas add up to the result. */
  static void assertTextGrows(List<SseRecorder.Event> events, JsonArray texts) {
    Map<Integer, String> shown = new HashMap<>();
    for (SseRecorder.Event event : events) {
      if (event.type().equals("progress") && event.data().containsKey("delta")) {
        int index = event.data().getInteger("index");
        String before = shown.getOrDefault(index, "");
        String after = event.data().getString("text");
        assertEquals(before + event.data().getString("delta"), after, "event " + event.id());
        shown.put(index, after);
      }
    }
    for (int i = 0; i < texts.size(); i++) {
      assertEquals(texts.getString(i), shown.getOrDefault(i, ""), "input " + i);
    }
  }

  @Test
  void cyrillicStreamsPieceByPieceAndAddsUpToTheResult() {
    JsonArray input = new JsonArray().add("Privet, kak dela? Segodnya horoshaya pogoda, i ya hochu gulyat v parke.").add("Eto ochen interesno");
    List<SseRecorder.Event> events = node.stream(HttpMethod.POST, "/v1/jobs", job(input), Map.of("Accept", "text/event-stream")).awaitEnd(WAIT);
    SseRecorder.Event end = events.get(events.size() - 1);
    assertEquals("succeeded", end.type(), events.toString());
    JsonObject result = end.data().getJsonObject("result");
    JsonArray texts = result.getJsonArray("texts");
    assertEquals(2, texts.size());
    assertTrue(texts.getString(0).startsWith("Привет, как дела?"), texts.getString(0));
    assertTrue(texts.getString(1).matches("[А-Яа-яЁё ,.?!]+"), texts.getString(1));
    assertEquals(new JsonArray().add("eos").add("eos"), result.getJsonArray("finish_reasons"));
    assertTrue(result.getInteger("generated_tokens") > result.getInteger("input_tokens"), result.encode());
    long deltas = events.stream().filter(e -> e.type().equals("progress")).count();
    assertTrue(deltas > 10, "streamed as it grows: " + deltas + " progress events");
    assertTextGrows(events, texts);

    String id = events.get(0).data().getString("id");
    JsonObject record = node.get("/v1/jobs/" + id).bodyAsJsonObject();
    assertEquals(texts, record.getJsonObject("result").getJsonArray("texts"));
    List<SseRecorder.Event> replay = node.stream(HttpMethod.GET, "/v1/jobs/" + id + "/events", null, Map.of("Last-Event-ID", "5")).awaitEnd(WAIT);
    assertEquals(6, replay.get(0).id(), "only the events after 5");
    assertEquals(events.subList(5, events.size()).stream().map(SseRecorder.Event::data).toList(), replay.stream().map(SseRecorder.Event::data).toList());
  }

  @Test
  void maxNewTokensStopsEachPieceAndSaysSo() {
    JsonObject body = job("Segodnya horoshaya").put("max_new_tokens", 4);
    List<SseRecorder.Event> events = node.stream(HttpMethod.POST, "/v1/jobs", body, Map.of("Accept", "text/event-stream")).awaitEnd(WAIT);
    JsonObject result = events.get(events.size() - 1).data().getJsonObject("result");
    assertEquals("length", result.getJsonArray("finish_reasons").getString(0));
    assertEquals(4, result.getInteger("generated_tokens"));
    assertEquals(2, result.getJsonArray("texts").getString(0).length(), "four bytes: two Cyrillic letters");
    assertError(node.postJson("/v1/jobs", job("x").put("max_new_tokens", 0)), 422, "invalid_parameter");
    assertError(node.postJson("/v1/jobs", job("x").put("max_new_tokens", "many")), 422, "invalid_parameter");
  }

  @Test
  void aCancelledJobStopsMidGeneration() {
    JsonArray input = new JsonArray();
    for (int i = 0; i < 40; i++) {
      input.add("Eto dlinnyj tekst nomer " + i + ", kotoryj pishetsya dolgo i medlenno, bukva za bukvoj.");
    }
    SseRecorder sse = node.stream(HttpMethod.POST, "/v1/jobs", job(input), Map.of("Accept", "text/event-stream"));
    SseRecorder.Event first = sse.awaitEvent(WAIT, e -> e.type().equals("progress"));
    String id = sse.awaitEvent(WAIT, e -> e.type().equals("queued")).data().getString("id");
    assertEquals(202, node.delete("/v1/jobs/" + id).statusCode());
    List<SseRecorder.Event> events = sse.awaitEnd(WAIT);
    assertEquals("cancelled", events.get(events.size() - 1).type());
    assertTrue(first.data().getInteger("done") < 40);
    node.pollUntil("the worker to let go of the job's sequences", WAIT,
        () -> node.get("/metrics").bodyAsString().contains("inferbus_generation_active_sequences{model=\"ru-latn-cyrl\"} 0.0"));
  }
}
