package io.inferbus.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobQueueTest {
  @Test
  void moreUrgentPriorityGoesFirstAndFifoWithinAPriority() {
    JobQueue<String> queue = new JobQueue<>(Duration.ofSeconds(30));
    queue.add("low", Priority.LOW, 0, "l", 1);
    queue.add("normal-1", Priority.NORMAL, 0, "n1", 1);
    queue.add("critical", Priority.CRITICAL, 0, "c", 1);
    queue.add("normal-2", Priority.NORMAL, 0, "n2", 1);
    queue.add("high", Priority.HIGH, 0, "h", 1);
    StringBuilder order = new StringBuilder();
    while (!queue.isEmpty()) {
      order.append(queue.next(8).orElseThrow().jobId()).append(' ');
    }
    assertEquals("critical high normal-1 normal-2 low ", order.toString());
  }

  @Test
  void aJobIsHandedOutInSlicesUntilAllItsItemsAreOut() {
    JobQueue<String> queue = new JobQueue<>(Duration.ofSeconds(30));
    queue.add("a", Priority.NORMAL, 0, "a", 10);
    queue.add("b", Priority.NORMAL, 0, "b", 2);
    JobQueue.Slice<String> s1 = queue.next(4).orElseThrow();
    JobQueue.Slice<String> s2 = queue.next(4).orElseThrow();
    JobQueue.Slice<String> s3 = queue.next(4).orElseThrow();
    assertEquals("a", s1.jobId());
    assertTrue(s1.first());
    assertFalse(s2.first());
    assertEquals(8, s3.from());
    assertEquals(10, s3.to());
    assertFalse(queue.contains("a"));
    JobQueue.Slice<String> s4 = queue.next(4).orElseThrow();
    assertEquals("b", s4.jobId());
    assertEquals(2, s4.size());
    assertTrue(queue.next(4).isEmpty());
  }

  @Test
  void aRemovedJobHandsOutNothingMore() {
    JobQueue<String> queue = new JobQueue<>(Duration.ofSeconds(30));
    queue.add("a", Priority.NORMAL, 0, "a", 10);
    queue.add("b", Priority.LOW, 0, "b", 1);
    queue.next(4);
    assertTrue(queue.remove("a"));
    assertFalse(queue.remove("a"));
    assertEquals("b", queue.next(4).orElseThrow().jobId());
  }

  @Test
  void withinAPriorityTheEarlierSubmissionGoesFirstWhateverItsArrival() {
    JobQueue<String> queue = new JobQueue<>(Duration.ofSeconds(30));
    queue.add("new", Priority.NORMAL, 2000, "new", 1);
    queue.add("redispatched", Priority.NORMAL, 1000, "old", 1);
    assertEquals("redispatched", queue.next(1).orElseThrow().jobId());
  }

  @Test
  void aLateUrgentJobOvertakesTheRestOfARunningOne() {
    JobQueue<String> queue = new JobQueue<>(Duration.ofSeconds(30));
    queue.add("bulk", Priority.LOW, 0, "bulk", 100);
    queue.next(10);
    queue.add("urgent", Priority.HIGH, 0, "urgent", 1);
    assertEquals("urgent", queue.next(10).orElseThrow().jobId());
    assertEquals(10, queue.next(10).orElseThrow().from());
  }

  @Test
  void agingLetsAnOldLowJobGoAheadOfMuchNewerCriticalWorkButNotOfSlightlyNewerUrgentWork() {
    JobQueue<String> queue = new JobQueue<>(Duration.ofSeconds(30));
    queue.add("low", Priority.LOW, 0, "low", 1);
    queue.add("critical-29s-later", Priority.CRITICAL, 29_000, "c1", 1);
    queue.add("critical-31s-later", Priority.CRITICAL, 31_000, "c2", 1);
    queue.add("normal-9s-later", Priority.NORMAL, 9_000, "n", 1);
    // one aging step (10 s) per level: low waits at most 30 s behind critical work, 10 s behind normal work
    assertEquals(List.of("critical-29s-later", "normal-9s-later", "low", "critical-31s-later"), queue.ids());
    assertEquals(2, queue.waiting(Priority.CRITICAL));
  }

  @Test
  void aBatchSpansJobsWithinItsItemAndCostBudget() {
    JobQueue<int[]> queue = new JobQueue<>(Duration.ofSeconds(30));
    queue.add("a", Priority.NORMAL, 0, new int[] {10, 10, 10}, 3);
    queue.add("b", Priority.NORMAL, 1, new int[] {10, 50, 10}, 3);
    List<JobQueue.Slice<int[]>> batch = queue.nextBatch(8, 45, (job, i) -> job[i]);
    assertEquals(2, batch.size());
    assertEquals("a", batch.get(0).jobId());
    assertEquals(3, batch.get(0).size());
    assertEquals("b", batch.get(1).jobId());
    assertEquals(1, batch.get(1).size(), "the second item of b would break the cost budget");
    List<JobQueue.Slice<int[]>> next = queue.nextBatch(8, 45, (job, i) -> job[i]);
    assertEquals(1, next.size());
    assertEquals(1, next.get(0).size(), "an item over budget still goes, alone");
    assertEquals(3, queue.nextBatch(2, 1000, (job, i) -> job[i]).get(0).to());
  }

  @Test
  void itemsWaitingCountsWhatIsNotHandedOutYet() {
    JobQueue<String> queue = new JobQueue<>(Duration.ofSeconds(30));
    queue.add("a", Priority.NORMAL, 0, "a", 10);
    queue.add("b", Priority.NORMAL, 0, "b", 3);
    assertEquals(13, queue.itemsWaiting());
    queue.next(4);
    assertEquals(9, queue.itemsWaiting());
    queue.remove("a");
    assertEquals(3, queue.itemsWaiting());
    queue.nextBatch(8, 1000, (job, i) -> 1);
    assertEquals(0, queue.itemsWaiting());
  }
}
