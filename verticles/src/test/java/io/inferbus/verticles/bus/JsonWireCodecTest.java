package io.inferbus.verticles.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.inferbus.inference.Priority;
import io.inferbus.inference.Task;
import io.inferbus.verticles.jobs.JobEvent;
import io.inferbus.verticles.jobs.JobEventBatch;
import io.inferbus.verticles.jobs.JobEventType;
import io.inferbus.verticles.jobs.JobRequest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonWireCodecTest {

  private static <T> T overTheWire(JsonWireCodec<T> codec, T body) {
    Buffer wire = Buffer.buffer("header");
    codec.encodeToWire(wire, body);
    wire.appendString("next message");
    return codec.decodeFromWire("header".length(), wire);
  }

  @Test
  void anEventCrossesToAnotherNodeWholeAndANoticeWithoutData() {
    JsonWireCodec<JobEvent> codec = JsonWireCodec.forJobEvents();
    JobEvent progress = new JobEvent("job-1", 7, JobEventType.PROGRESS,
        new JsonObject().put("index", 0).put("delta", "при").put("text", "Привет").put("pieces", new JsonArray().add(3)), 1_764_590_000_000L);
    assertEquals(progress, overTheWire(codec, progress));

    JobEvent notice = new JobEvent("job-1", 8, JobEventType.SUCCEEDED, new JsonObject().put("status", "succeeded"), 1L).notice();
    JobEvent received = overTheWire(codec, notice);
    assertTrue(received.isNotice());
    assertEquals(notice, received);
  }

  @Test
  void aWorkRequestCrossesWholeWithItsOptionalFieldsUnset() {
    JsonWireCodec<JobRequest> codec = JsonWireCodec.forWork();
    JobRequest full = new JobRequest("job-2", Task.TRANSLITERATE, "ru-latn-cyrl", Priority.CRITICAL, 10L, 20L, List.of("privet", "kak dela?"),
        "cache-key", 48, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    assertEquals(full, overTheWire(codec, full));
    JobRequest bare = new JobRequest("job-3", Task.EMBED, "m", Priority.NORMAL, 10L, 20L, List.of("a"), null, 0, null);
    assertEquals(bare, overTheWire(codec, bare));
  }

  @Test
  void withinANodeReadersShareTheBodyItself() {
    JobEvent queued = new JobEvent("job-4", 0, JobEventType.QUEUED, new JsonObject().put("position", 3), 1L);
    assertSame(queued, JsonWireCodec.forJobEvents().transform(queued));
    JobRequest request = new JobRequest("job-5", Task.EMBED, "m", Priority.LOW, 1L, 2L, List.of("x"), null, 0, null);
    assertSame(request, JsonWireCodec.forWork().transform(request));
  }

  @Test
  void theEventsOfOneChangeCrossAsOneMessageInTheirOrder() {
    JobEventBatch batch = new JobEventBatch(List.of(
        new JobEvent("job-6", 3, JobEventType.PROGRESS, new JsonObject().put("done", 1).put("total", 1), 5L),
        new JobEvent("job-6", 4, JobEventType.SUCCEEDED, new JsonObject().put("status", "succeeded").put("result", new JsonObject().put("texts", new JsonArray().add("мир"))), 5L)));
    assertEquals(batch, overTheWire(JsonWireCodec.forJobEventBatches(), batch));
  }
}
