package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.inferbus.verticles.bus.BusAddresses;
import io.inferbus.verticles.jobs.JobRequest;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The event-bus bridge from a real WebSocket: the client contract (submit, events with last-seq,
 * cancel, the same errors as HTTP) and least privilege (no internal address reachable, client
 * headers never forwarded, tricks refused), watched from inside by consumers on the internal addresses.
 */
class BridgeTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static TestNode node;

  @BeforeAll
  static void startNode() {
    node = TestNode.start("""
        models:
          - {id: noop, task: noop, delay-ms: 20, sessions: 1}
        """, Map.of("INFERBUS_BRIDGE_MAX_FRAME_BYTES", "4096", "INFERBUS_BRIDGE_MAX_HANDLERS_PER_SOCKET", "4"));
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  private static JsonObject noopJob(int items) {
    JsonArray input = new JsonArray();
    for (int i = 0; i < items; i++) {
      input.add("item " + i);
    }
    return new JsonObject().put("task", "noop").put("input", input);
  }

  private static List<JsonObject> eventsOf(BridgeClient client, String address) {
    client.await(WAIT, f -> address.equals(f.getString("address")) && f.containsKey("body")
        && List.of("succeeded", "failed", "cancelled", "expired").contains(f.getJsonObject("body").getString("type")));
    return client.received.stream().filter(f -> address.equals(f.getString("address")) && "rec".equals(f.getString("type")))
        .map(f -> f.getJsonObject("body")).filter(b -> b.getLong("seq") > 0).toList();
  }

  @Test
  void submitThenFollowTheJobsEventsAndResumeAfterAGivenOne() {
    try (BridgeClient client = new BridgeClient(node.port())) {
      JsonObject job = client.request("inferbus.submit", noopJob(3)).getJsonObject("body");
      assertEquals("queued", job.getString("status"));
      String address = "inferbus.events." + job.getString("id");
      assertEquals(address, job.getString("events"));
      client.send(new JsonObject().put("type", "register").put("address", address));
      List<JsonObject> events = eventsOf(client, address);
      assertEquals(List.of("queued", "started", "progress", "succeeded"), events.stream().map(e -> e.getString("type")).toList());
      assertEquals(List.of(1L, 2L, 3L, 4L), events.stream().map(e -> e.getLong("seq")).toList());
      assertEquals(3, events.get(events.size() - 1).getJsonObject("data").getJsonObject("result").getJsonArray("outputs").size());

      try (BridgeClient again = new BridgeClient(node.port())) {
        again.send(new JsonObject().put("type", "register").put("address", address).put("headers", new JsonObject().put("last-seq", "2")));
        assertEquals(List.of(3L, 4L), eventsOf(again, address).stream().map(e -> e.getLong("seq")).toList(), "only the events after last-seq");
      }
    }
  }

  @Test
  void cancelAnswersAsDeleteDoesAndErrorsAreTheHttpOnes() {
    try (BridgeClient client = new BridgeClient(node.port())) {
      String id = client.request("inferbus.submit", noopJob(300)).getJsonObject("body").getString("id");
      JsonObject cancelled = client.request("inferbus.cancel", new JsonObject().put("id", id)).getJsonObject("body");
      assertEquals("cancelled", cancelled.getString("status"));
      assertEquals("job_finished", client.request("inferbus.cancel", new JsonObject().put("id", id)).getJsonObject("body")
          .getJsonObject("error").getString("code"));
      assertEquals("job_not_found", client.request("inferbus.cancel", new JsonObject().put("id", UUID.randomUUID().toString()))
          .getJsonObject("body").getJsonObject("error").getString("code"));
      JsonObject invalid = client.request("inferbus.submit", new JsonObject().put("task", "dance").put("input", "x")).getJsonObject("body");
      assertEquals("unknown_task", invalid.getJsonObject("error").getString("code"));
      assertEquals("missing_input", client.request("inferbus.submit", new JsonObject().put("task", "noop")).getJsonObject("body")
          .getJsonObject("error").getString("code"));
      JsonObject unknownJob = registerRefusal(client, "inferbus.events." + UUID.randomUUID());
      assertEquals("job_not_found", unknownJob.getString("failureType"));
    }
  }

  @Test
  void nothingInternalIsReachableAndClientHeadersNeverReachAConsumer() {
    List<String> internal = List.of(
        BusAddresses.CANCEL,
        BusAddresses.credits("noop"),
        BusAddresses.work("noop", node.node.nodeId()),
        BusAddresses.work("noop", "another-node"),
        "__vertx.reply.1",
        "inferbus.events." + UUID.randomUUID(),
        "");
    List<JsonObject> seenInside = new CopyOnWriteArrayList<>();
    List<MessageConsumer<Object>> spies = new ArrayList<>();
    for (String address : internal) {
      if (!address.isEmpty()) {
        spies.add(node.node.vertx().eventBus().consumer(address, m -> seenInside.add(new JsonObject().put("address", address)
            .put("body", m.body() instanceof JobRequest work ? work.toJson() : m.body()))));
      }
    }
    try (BridgeClient client = new BridgeClient(node.port())) {
      for (String address : internal) {
        JsonObject refusal = client.request(address, new JsonObject().put("id", "x").put("spy", true),
            new JsonObject().put("priority", "critical").put("attempt", "7"));
        assertEquals("err", refusal.getString("type"), address);
        assertEquals("address_not_permitted", refusal.getString("failureType"), address);
      }
      String jobAddress = "inferbus.events." + client.request("inferbus.submit", noopJob(1)).getJsonObject("body").getString("id");
      client.send(new JsonObject().put("type", "publish").put("address", jobAddress).put("body", new JsonObject().put("seq", 99)));
      assertEquals("publish_not_permitted", client.await(WAIT, f -> "publish_not_permitted".equals(f.getString("failureType"))).getString("failureType"));

      for (String trick : List.of("inferbus.events.*", "inferbus.events.", "inferbus.events." + UUID.randomUUID() + ".",
          "inferbus.events." + UUID.randomUUID() + "x", "inferbus.events." + UUID.randomUUID().toString().toUpperCase(),
          "inferbus.events.#", BusAddresses.CANCEL, "inferbus.events." + "a".repeat(3000))) {
        assertEquals("address_not_permitted", registerRefusal(client, trick).getString("failureType"), trick);
      }
      client.sendRaw("{\"type\":\"send\",\"address\":\"inferbus.submit\",\"body\":{\"input\":\"" + "x".repeat(5000) + "\"}}");
      client.await(WAIT, f -> "frame_too_large".equals(f.getString("failureType")));
      client.sendRaw("not json");
      client.await(WAIT, f -> "malformed_frame".equals(f.getString("failureType")));

      JsonObject withHeaders = client.request("inferbus.submit", noopJob(1),
          new JsonObject().put("priority", "critical").put("job-id", "forged").put("attempt", "9").put("deadline", "1"));
      assertEquals("normal", withHeaders.getJsonObject("body").getString("priority"), "headers are not parameters");
      assertEquals("succeeded", eventsOf(registered(client, withHeaders), "inferbus.events." + withHeaders.getJsonObject("body").getString("id"))
          .stream().reduce((a, b) -> b).orElseThrow().getString("type"), "and the job ran as any other");
    } finally {
      spies.forEach(MessageConsumer::unregister);
    }
    assertTrue(seenInside.stream().noneMatch(m -> m.getValue("body") instanceof JsonObject body && body.containsKey("spy")),
        "no client message reached an internal consumer: " + seenInside);
    String metrics = node.get("/metrics").bodyAsString();
    assertTrue(metrics.contains("inferbus_bridge_refused_frames_total{reason=\"address_not_permitted\"}"), metrics);
  }

  @Test
  void aConnectionFollowsAtMostItsShareOfJobs() {
    try (BridgeClient client = new BridgeClient(node.port())) {
      for (int i = 0; i < 4; i++) {
        String id = client.request("inferbus.submit", noopJob(200)).getJsonObject("body").getString("id");
        client.send(new JsonObject().put("type", "register").put("address", "inferbus.events." + id));
      }
      String fifth = client.request("inferbus.submit", noopJob(1)).getJsonObject("body").getString("id");
      assertEquals("too_many_handlers", registerRefusal(client, "inferbus.events." + fifth).getString("failureType"));
    }
  }

  @Test
  void aPageFromAnotherOriginIsTurnedAway() {
    try (BridgeClient stranger = new BridgeClient(node.port(), Map.of("Origin", "https://evil.example"))) {
      node.pollUntil("the stranger's connection to be closed", WAIT, stranger::closed);
    }
    try (BridgeClient same = new BridgeClient(node.port(), Map.of("Origin", "http://127.0.0.1:" + node.port()))) {
      assertFalse(same.request("inferbus.submit", noopJob(1)).getJsonObject("body").containsKey("error"));
    }
  }

  private static BridgeClient registered(BridgeClient client, JsonObject reply) {
    client.send(new JsonObject().put("type", "register").put("address", "inferbus.events." + reply.getJsonObject("body").getString("id")));
    return client;
  }

  private static JsonObject registerRefusal(BridgeClient client, String address) {
    client.received.clear();
    client.send(new JsonObject().put("type", "register").put("address", address));
    String expected = address.length() <= 200 ? address : null;
    return client.await(WAIT, f -> "err".equals(f.getString("type")) && java.util.Objects.equals(expected, f.getString("address")));
  }
}
