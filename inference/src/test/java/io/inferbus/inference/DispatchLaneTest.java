package io.inferbus.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class DispatchLaneTest {
  /** A clock the test moves by hand. */
  private static final class ManualClock extends Clock {
    long millis = 1_000_000;

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }
  }

  private final ManualClock clock = new ManualClock();
  private final DispatchLane<String> lane = new DispatchLane<>(Duration.ofSeconds(30), Duration.ofSeconds(1), clock);

  private static List<String> sent(List<DispatchLane.HandOver<String>> handOvers) {
    return handOvers.stream().map(h -> h.jobId() + "->" + h.node()).toList();
  }

  @Test
  void nothingLeavesUntilAWorkerHasRoomThenAsManyAsItHasRoomFor() {
    lane.add("a", Priority.NORMAL, clock.millis(), "a");
    lane.add("b", Priority.NORMAL, clock.millis(), "b");
    lane.add("c", Priority.NORMAL, clock.millis(), "c");
    assertEquals(List.of(), lane.handOvers());
    lane.credit("w1", 2, -1, 1);
    assertEquals(List.of("a->w1", "b->w1"), sent(lane.handOvers()));
    assertEquals(List.of(), lane.handOvers(), "w1's room is used up until it says otherwise");
    assertEquals(1, lane.waiting(Priority.NORMAL));
  }

  @Test
  void eachJobGoesToTheWorkerWithTheMostRoom() {
    lane.credit("w1", 1, -1, 1);
    lane.credit("w2", 3, -1, 1);
    for (String id : List.of("a", "b", "c", "d")) {
      lane.add(id, Priority.NORMAL, clock.millis(), id);
    }
    List<String> sent = sent(lane.handOvers());
    assertEquals(4, sent.size());
    assertEquals("a->w2", sent.get(0));
    assertEquals(3, sent.stream().filter(s -> s.endsWith("w2")).count());
  }

  @Test
  void anOlderAnnouncementArrivingLateIsIgnored() {
    lane.credit("w1", 0, -1, 5);
    lane.credit("w1", 4, -1, 4);
    lane.add("a", Priority.NORMAL, clock.millis(), "a");
    assertEquals(List.of(), lane.handOvers());
  }

  @Test
  void aCreditNotRenewedWithinItsLifetimeIsForgotten() {
    lane.credit("w1", 4, -1, 1);
    clock.millis += 1001;
    lane.add("a", Priority.NORMAL, clock.millis(), "a");
    assertEquals(List.of(), lane.handOvers(), "a worker that went silent gets nothing");
    lane.credit("w1", 4, -1, 2);
    assertEquals(List.of("a->w1"), sent(lane.handOvers()));
  }

  @Test
  void aJobMoreUrgentThanOneAFullWorkerHoldsWaitingGoesThereOncePerLevel() {
    lane.credit("w1", 0, Priority.LOW.ordinal(), 1);
    lane.add("normal", Priority.NORMAL, clock.millis(), "normal");
    lane.add("low", Priority.LOW, clock.millis(), "low");
    assertEquals(List.of("normal->w1"), sent(lane.handOvers()), "normal overtakes w1's waiting low job; low itself waits");
    lane.add("normal-2", Priority.NORMAL, clock.millis(), "normal-2");
    assertEquals(List.of(), lane.handOvers(), "w1 now holds a normal job waiting: another normal one does not overtake it");
    lane.add("critical", Priority.CRITICAL, clock.millis(), "critical");
    assertEquals(List.of("critical->w1"), sent(lane.handOvers()));
  }

  @Test
  void aWorkerThatDidNotTakeAJobGetsNothingMoreUntilItSpeaksAgain() {
    lane.credit("w1", 4, -1, 1);
    lane.forgetWorker("w1");
    lane.add("a", Priority.NORMAL, clock.millis(), "a");
    assertEquals(List.of(), lane.handOvers());
  }

  @Test
  void anotherWorkerHasRoomOnlyWhenSomeOtherLiveWorkerHasAFreeSlot() {
    lane.credit("w1", 2, -1, 1);
    lane.credit("w2", 0, -1, 1);
    assertTrue(lane.anotherWorkerHasRoom("w2"));
    assertFalse(lane.anotherWorkerHasRoom("w1"));
    clock.millis += 1001;
    assertFalse(lane.anotherWorkerHasRoom("w2"), "an expired credit is no room");
  }

  @Test
  void positionsAreAnnouncedWhenTheyChangeWithAWaitEstimatedFromTheHandOverRate() {
    for (String id : List.of("a", "b", "c")) {
      lane.add(id, Priority.NORMAL, clock.millis(), id);
    }
    List<DispatchLane.Position> first = lane.positionsChanged(Duration.ofSeconds(1));
    assertEquals(List.of(new DispatchLane.Position("a", 0, -1), new DispatchLane.Position("b", 1, -1), new DispatchLane.Position("c", 2, -1)), first);
    assertEquals(List.of(), lane.positionsChanged(Duration.ofSeconds(1)), "nothing moved");

    lane.credit("w1", 1, -1, 1);
    assertEquals(List.of("a->w1"), sent(lane.handOvers()));
    List<DispatchLane.Position> moved = lane.positionsChanged(Duration.ofSeconds(1));
    // one hand-over in the last tick, smoothed: 0.3 per second, so b (now first) waits about 1/0.3 s
    assertEquals(List.of(new DispatchLane.Position("b", 0, 3333), new DispatchLane.Position("c", 1, 6667)), moved);
  }

  @Test
  void aRemovedJobNeitherLeavesNorCountsAsWaiting() {
    lane.add("a", Priority.HIGH, clock.millis(), "a");
    assertTrue(lane.remove("a"));
    assertFalse(lane.remove("a"));
    assertEquals(0, lane.waiting(Priority.HIGH));
    lane.credit("w1", 4, -1, 1);
    assertEquals(List.of(), lane.handOvers());
  }
}
