package io.inferbus.verticles.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.inferbus.inference.Priority;
import io.inferbus.inference.Task;
import io.inferbus.verticles.jobs.JobStore.Proposal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class InMemoryJobStoreTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T12:00:00Z"));
  private final InMemoryJobStore store = new InMemoryJobStore(clock, Duration.ofMinutes(5), 1 << 20);

  private JobRequest request(String id, int inputs) {
    long now = clock.millis();
    return new JobRequest(id, Task.EMBED, "m", Priority.NORMAL, now, now + 60_000, java.util.Collections.nCopies(inputs, "a"), null, 0, null);
  }

  private JobRequest create(String id) {
    JobRequest request = request(id, 2);
    store.create(JobRecord.queued(request), request, new JsonObject().put("id", id).put("status", "queued"), "api").await();
    return request;
  }

  private static List<Proposal> event(JobEventType type, JsonObject data) {
    return List.of(new Proposal(type, data));
  }

  private static JsonObject progress(int done) {
    return new JsonObject().put("done", done).put("total", 2);
  }

  private Optional<JobStore.Appended> succeed(String id, int attempt, JsonObject result) {
    List<Proposal> last = List.of(new Proposal(JobEventType.PROGRESS, progress(2)),
        new Proposal(JobEventType.SUCCEEDED, new JsonObject().put("status", "succeeded")));
    return store.succeed(id, attempt, last, result).await();
  }

  private Optional<JobStore.Appended> cancel(String id) {
    return store.append(id, JobStore.ANY_ATTEMPT, event(JobEventType.CANCELLED, new JsonObject().put("status", "cancelled"))).await();
  }

  private List<String> types(String id) {
    return store.eventsAfter(id, 0).await().stream().map(e -> e.type().wireName()).toList();
  }

  @Test
  void aJobsLogIsNumberedFromOneAndItsSuccessIsReadWithTheResult() {
    create("j1");
    store.append("j1", 1, event(JobEventType.STARTED, new JsonObject().put("attempt", 1))).await();
    JsonObject result = new JsonObject().put("dimensions", 1).put("embeddings", new JsonArray().add(new JsonArray().add(0.5)));
    JobStore.Appended done = succeed("j1", 1, result).orElseThrow();

    assertEquals(List.of(3L, 4L), done.events().stream().map(JobEvent::seq).toList());
    assertEquals(JobStatus.SUCCEEDED, done.job().status());
    assertEquals(result, store.get("j1").await().orElseThrow().result());
    List<JobEvent> tail = store.eventsAfter("j1", 2).await();
    assertEquals(List.of(3L, 4L), tail.stream().map(JobEvent::seq).toList());
    assertEquals(result, tail.get(1).data().getJsonObject("result"));
    assertEquals(List.of(), store.eventsAfter("j1", 4).await());
    assertEquals(List.of(), store.eventsAfter("unknown", 0).await());
  }

  @Test
  void progressNotBeyondWhatWasReportedIsLeftOutAndAnEndedJobTakesNothingMore() {
    create("j2");
    store.append("j2", 1, event(JobEventType.STARTED, new JsonObject().put("attempt", 1))).await();
    assertTrue(store.append("j2", 1, event(JobEventType.PROGRESS, progress(1))).await().isPresent());
    assertEquals(Optional.empty(), store.append("j2", 1, event(JobEventType.PROGRESS, progress(1))).await());
    assertTrue(store.append("j2", 1, event(JobEventType.PROGRESS, progress(1).put("delta", "more text"))).await().isPresent(),
        "generated text grows without finishing inputs");
    assertTrue(cancel("j2").isPresent());

    assertEquals(Optional.empty(), store.append("j2", 1, event(JobEventType.PROGRESS, progress(2))).await());
    assertEquals(Optional.empty(), store.requeue("j2", 1, "worker_lost").await());
    assertEquals(List.of("queued", "started", "progress", "progress", "cancelled"), types("j2"));
  }

  @Test
  void aHolderWhoseJobWasTakenBackIsRefusedAndOnlyTheSucceededAttemptsResultIsShown() {
    JobRequest request = create("j3");
    store.assign(request, 1, "worker-1").await();
    store.putResult("j3", 1, new JsonObject().put("from", "attempt 1")).await();
    assertTrue(store.requeue("j3", 1, "worker_lost").await().isPresent());
    assertEquals(Optional.empty(), store.requeue("j3", 1, "worker_lost").await(), "taken back once");
    assertEquals(Optional.empty(), store.append("j3", 1, event(JobEventType.STARTED, new JsonObject().put("attempt", 1))).await());

    store.assign(request, 2, "worker-2").await();
    assertEquals(List.of(new JobStore.Assignment("j3", 2, "worker-2")), store.assignments().await());
    assertEquals(request, store.request("j3").await().orElseThrow());
    succeed("j3", 2, new JsonObject().put("from", "attempt 2")).orElseThrow();

    JobRecord job = store.get("j3").await().orElseThrow();
    assertEquals(2, job.attempt());
    assertEquals("attempt 2", job.result().getString("from"));
    assertEquals(Optional.empty(), store.request("j3").await(), "an ended job's request is forgotten");
    assertEquals(List.of(), store.assignments().await());
    store.assign(request, 2, "worker-3").await();
    assertEquals(List.of(), store.assignments().await(), "a holder recorded after the job's end is not kept");
  }

  @Test
  void anEndedJobIsForgottenAtItsRetentionTimeAndALiveOneIsNot() {
    create("ended");
    create("live");
    cancel("ended");
    clock.advance(Duration.ofMinutes(5).minusMillis(1));
    assertTrue(store.get("ended").await().isPresent());

    clock.advance(Duration.ofMillis(1));
    assertEquals(Optional.empty(), store.get("ended").await());
    assertEquals(List.of(), store.eventsAfter("ended", 0).await());
    clock.advance(Duration.ofHours(1));
    assertEquals(JobStatus.QUEUED, store.get("live").await().orElseThrow().status());
  }

  @Test
  void endedJobsThatNobodyAsksAboutLeaveMemoryOnceTheirRetentionTimePasses() {
    create("old");
    cancel("old");
    clock.advance(Duration.ofMinutes(6));
    create("new");
    cancel("new");
    clock.advance(Duration.ofMinutes(-6));
    assertEquals(Optional.empty(), store.get("old").await(), "dropped when the next job ended, not merely hidden");
  }

  @Test
  void pastItsMemoryBudgetTheStoreForgetsTheOldestEndedJobs() {
    InMemoryJobStore small = new InMemoryJobStore(clock, Duration.ofMinutes(5), 10 * RetainedJobs.BYTES_PER_JOB);
    List<String> ids = IntStream.range(0, 20).mapToObj(i -> "job-" + i).toList();
    for (String id : ids) {
      JobRequest request = request(id, 1);
      small.create(JobRecord.queued(request), request, new JsonObject(), "api").await();
      small.append(id, 1, event(JobEventType.FAILED, new JsonObject().put("status", "failed"))).await();
    }
    List<Boolean> kept = ids.stream().map(id -> small.get(id).await().isPresent()).toList();
    assertEquals(List.of(false, false, false, false, false, false, false, false, false, false), kept.subList(0, 10));
    assertTrue(kept.subList(10, 20).stream().allMatch(k -> k), kept.toString());
  }

  @Test
  void concurrentWritersOfOneJobEachGetTheirEventsInOnceAndTheLogHasNoGap() throws Exception {
    create("j4");
    store.append("j4", 1, event(JobEventType.STARTED, new JsonObject().put("attempt", 1))).await();
    ExecutorService writers = Executors.newFixedThreadPool(4);
    CountDownLatch go = new CountDownLatch(1);
    List<java.util.concurrent.Future<?>> writes = new ArrayList<>();
    for (int i = 1; i <= 400; i++) {
      String delta = "x" + i;
      writes.add(writers.submit(() -> {
        go.await();
        return store.append("j4", 1, event(JobEventType.PROGRESS, progress(0).put("delta", delta))).await().orElseThrow();
      }));
    }
    go.countDown();
    for (java.util.concurrent.Future<?> write : writes) {
      write.get(30, TimeUnit.SECONDS);
    }
    writers.shutdown();

    List<JobEvent> log = store.eventsAfter("j4", 0).await();
    assertEquals(LongStream.rangeClosed(1, 402).boxed().toList(), log.stream().map(JobEvent::seq).toList());
    assertEquals(400, log.stream().filter(e -> e.data().containsKey("delta")).map(e -> e.data().getString("delta")).distinct().count());
  }
}
