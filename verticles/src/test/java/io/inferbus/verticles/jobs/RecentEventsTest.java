package io.inferbus.verticles.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RecentEventsTest {
  private static final Instant T0 = Instant.parse("2026-11-30T12:00:00Z");
  private final MutableClock clock = new MutableClock(T0);
  private final RecentEvents recent = new RecentEvents(clock, 3, Duration.ofSeconds(5));

  private static JobEvent event(String job, long seq, String type, JsonObject data) {
    return new JobEvent(job, seq, JobEventType.fromWireName(type), data, 0);
  }

  private static JobEvent progress(String job, long seq) {
    return event(job, seq, "progress", new JsonObject().put("done", seq).put("total", 9));
  }

  private Optional<List<Long>> seqsAfter(String job, long seq) {
    return recent.after(job, seq).map(events -> events.stream().map(JobEvent::seq).toList());
  }

  @Test
  void aLogSeenWholeFromItsFirstEventIsAnsweredHere() {
    recent.opened("a");
    recent.seen(event("a", 1, "queued", new JsonObject().put("status", "queued")));
    recent.seen(progress("a", 2));
    recent.seen(progress("a", 2));

    assertEquals(Optional.of(List.of(1L, 2L)), seqsAfter("a", 0));
    assertEquals(Optional.of(List.of(2L)), seqsAfter("a", 1));
    assertEquals(Optional.of(List.of()), seqsAfter("a", 2));
    assertEquals(Optional.empty(), seqsAfter("a", 3), "a reader beyond what this node saw asks the store");
  }

  @Test
  void aHoleUntilItClosesAResultTheJobsOfOtherNodesAndPositionsSendReadersToTheStore() {
    recent.opened("a");
    recent.seen(event("a", 1, "queued", new JsonObject()));
    recent.seen(progress("a", 3));
    assertEquals(Optional.empty(), seqsAfter("a", 0), "event 2 is still on its way");
    recent.seen(progress("a", 2));
    assertEquals(Optional.of(List.of(1L, 2L, 3L)), seqsAfter("a", 0));

    recent.seen(event("a", 4, "succeeded", new JsonObject().put("result", new JsonObject())));
    assertEquals(Optional.empty(), seqsAfter("a", 0), "results stay in the store");

    recent.seen(event("elsewhere", 1, "queued", new JsonObject()));
    assertEquals(Optional.empty(), seqsAfter("elsewhere", 0), "only jobs this node opened are kept");

    recent.opened("b");
    recent.seen(event("b", 1, "queued", new JsonObject()));
    recent.seen(event("b", 0, "queued", new JsonObject().put("position", 4)));
    recent.seen(event("b", 2, "progress", null));
    assertEquals(Optional.empty(), seqsAfter("b", 0), "a notice without its data is read from the store");
  }

  @Test
  void theOldestJobsAreForgottenBeyondTheCountOrTheAge() {
    for (String job : List.of("a", "b", "c", "d")) {
      recent.opened(job);
      recent.seen(event(job, 1, "queued", new JsonObject()));
    }
    assertEquals(Optional.empty(), seqsAfter("a", 0));
    assertEquals(Optional.of(List.of(1L)), seqsAfter("b", 0));

    clock.now = T0.plusSeconds(6);
    recent.opened("e");
    assertEquals(Optional.empty(), seqsAfter("b", 0));
    assertEquals(Optional.empty(), seqsAfter("d", 0));
    assertEquals(Optional.of(List.of()), seqsAfter("e", 0));
  }
}
