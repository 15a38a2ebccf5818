package io.inferbus.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.inferbus.inference.UnconfirmedHandOvers.HandOver;
import java.util.List;
import org.junit.jupiter.api.Test;

class UnconfirmedHandOversTest {
  private final UnconfirmedHandOvers handOvers = new UnconfirmedHandOvers(60_000);

  @Test
  void jobsHandedToANodeThatLeftAreTakenBackOnceAndOthersStay() {
    handOvers.taken("a", 1, "w1", 10_000);
    handOvers.taken("b", 2, "w2", 10_000);
    handOvers.taken("c", 1, "w1", 10_000);

    assertEquals(List.of(new HandOver("a", 1, "w1", 10_000), new HandOver("c", 1, "w1", 10_000)),
        handOvers.takeBackFrom("w1"::equals).stream().sorted(java.util.Comparator.comparing(HandOver::jobId)).toList());
    assertEquals(List.of(), handOvers.takeBackFrom("w1"::equals), "taken back once");
    assertEquals(1, handOvers.size());
  }

  @Test
  void aHandOverIsSettledByItsOwnAttemptsStartOrALaterAttemptNotByAnEarlierOne() {
    handOvers.taken("a", 2, "w1", 10_000);
    handOvers.settled("a", 1);
    assertEquals(1, handOvers.size(), "news of an earlier attempt settles nothing");
    handOvers.settled("a", 2);
    assertEquals(0, handOvers.size());

    handOvers.taken("b", 1, "w1", 10_000);
    handOvers.settled("b", 3);
    assertEquals(List.of(), handOvers.takeBackFrom(node -> true), "the job moved on to a later attempt");

    handOvers.taken("c", 1, "w1", 10_000);
    handOvers.ended("c");
    assertEquals(List.of(), handOvers.takeBackFrom(node -> true));
  }

  @Test
  void aHandOverTheWorkerDidNotTakeIsWithdrawnButALaterAttemptsIsKept() {
    handOvers.taken("a", 1, "w1", 10_000);
    handOvers.withdrawn("a", 1);
    assertEquals(0, handOvers.size());
    handOvers.taken("b", 2, "w1", 10_000);
    handOvers.withdrawn("b", 1);
    assertEquals(List.of(new HandOver("b", 2, "w1", 10_000)), handOvers.takeBackFrom("w1"::equals));
  }

  @Test
  void aHandOverLongPastItsJobsDeadlineIsForgotten() {
    handOvers.taken("a", 1, "w1", 10_000);
    handOvers.taken("b", 1, "w1", 100_000);
    handOvers.forgetOlderThan(10_000 + 60_000);
    assertEquals(2, handOvers.size(), "kept for the margin after the deadline");
    handOvers.forgetOlderThan(10_000 + 60_001);
    assertEquals(List.of(new HandOver("b", 1, "w1", 100_000)), handOvers.takeBackFrom(node -> true));
  }
}
