package io.inferbus.verticles.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.inferbus.verticles.jobs.JobEvent;
import io.inferbus.verticles.jobs.JobEventType;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class JobEventCodecTest {
  private final JobEventCodec codec = new JobEventCodec();

  private JobEvent overTheWire(JobEvent event) {
    Buffer wire = Buffer.buffer("header");
    codec.encodeToWire(wire, event);
    wire.appendString("next message");
    return codec.decodeFromWire("header".length(), wire);
  }

  @Test
  void anEventCrossesToAnotherNodeWholeAndANoticeWithoutData() {
    JobEvent progress = new JobEvent("job-1", 7, JobEventType.PROGRESS,
        new JsonObject().put("index", 0).put("delta", "при").put("text", "Привет").put("pieces", new JsonArray().add(3)), 1_764_590_000_000L);
    assertEquals(progress, overTheWire(progress));

    JobEvent notice = new JobEvent("job-1", 8, JobEventType.SUCCEEDED, new JsonObject().put("status", "succeeded"), 1L).notice();
    JobEvent received = overTheWire(notice);
    assertTrue(received.isNotice());
    assertEquals(notice, received);
  }

  @Test
  void withinANodeReadersShareTheEventItself() {
    JobEvent queued = new JobEvent("job-2", 0, JobEventType.QUEUED, new JsonObject().put("position", 3), 1L);
    assertSame(queued, codec.transform(queued));
  }
}
