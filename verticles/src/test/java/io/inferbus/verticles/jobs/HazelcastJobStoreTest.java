package io.inferbus.verticles.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.XmlConfigBuilder;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.inferbus.inference.Priority;
import io.inferbus.inference.Task;
import io.inferbus.verticles.jobs.JobStore.Proposal;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two stores over the same Hazelcast maps stand for two nodes writing one job: nothing is lost,
 * doubled or let through on a stale view, and a change that Hazelcast runs a second time (its
 * member left after writing it) is answered, not applied again.
 */
class HazelcastJobStoreTest {
  private static final Duration RETENTION = Duration.ofMinutes(5);
  private final Vertx vertx = Vertx.vertx();
  private final HazelcastInstance hazelcast = Hazelcast.newHazelcastInstance(alone());
  private final HazelcastJobStore worker = new HazelcastJobStore(vertx, hazelcast, Clock.systemUTC(), RETENTION, 1 << 20);
  private final HazelcastJobStore api = new HazelcastJobStore(vertx, hazelcast, Clock.systemUTC(), RETENTION, 1 << 20);

  /** A member on loopback that looks for no other, with the job maps as the service's cluster.xml sets them. */
  private static Config alone() {
    Config config = new Config().setClusterName("store-test-" + UUID.randomUUID());
    shippedMapSettings().forEach(config::addMapConfig);
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.logging.type", "none");
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    return config;
  }

  private static Collection<MapConfig> shippedMapSettings() {
    try {
      return new com.hazelcast.config.XmlConfigBuilder(Files.newInputStream(Path.of("..", "cluster.xml")))
          .build().getMapConfigs().values();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @AfterEach
  void close() {
    vertx.close().await();
    hazelcast.shutdown();
  }

  private JobRequest request(String id) {
    long now = System.currentTimeMillis();
    return new JobRequest(id, Task.EMBED, "m", Priority.NORMAL, now, now + 60_000, List.of("a", "b"), null, 0, null);
  }

  private void create(String id) {
    JobRecord job = JobRecord.queued(id, Task.EMBED, "m", Priority.NORMAL, 2, System.currentTimeMillis(), null);
    api.create(job, request(id), new JsonObject().put("id", id).put("status", "queued"), "api").await();
  }

  private static List<Proposal> event(JobEventType type, JsonObject data) {
    return List.of(new Proposal(type, data));
  }

  @Test
  void theJobMapIsKeptAsTheShippedClusterXmlSetsIt() {
    MapConfig jobs = hazelcast.getConfig().findMapConfig("inferbus.jobs");
    assertEquals(InMemoryFormat.OBJECT, jobs.getInMemoryFormat());
    assertEquals(1, jobs.getBackupCount());
  }

  @Test
  void aWriteAfterAnotherNodesWriteIsAppendedAfterItNotOverIt() {
    create("j1");
    assertTrue(worker.append("j1", 1, event(JobEventType.STARTED, new JsonObject().put("attempt", 1))).await().isPresent());
    assertTrue(api.append("j1", 1, event(JobEventType.PROGRESS, new JsonObject().put("done", 1).put("total", 2))).await().isPresent(),
        "another node writes after the worker's last write");
    Optional<JobStore.Appended> done = worker.append("j1", 1, event(JobEventType.PROGRESS, new JsonObject().put("done", 2).put("total", 2))).await();

    assertTrue(done.isPresent());
    assertEquals(4, done.get().events().get(0).seq(), "numbered after the other node's event");
    assertEquals(List.of("queued", "started", "progress", "progress"),
        worker.eventsAfter("j1", 0).await().stream().map(e -> e.type().wireName()).toList());
  }

  @Test
  void aHolderWhoseJobWasTakenBackMeanwhileIsRefusedThoughItsOwnViewSaysOtherwise() {
    create("j2");
    assertTrue(worker.append("j2", 1, event(JobEventType.STARTED, new JsonObject().put("attempt", 1))).await().isPresent());
    assertTrue(api.requeue("j2", 1, "worker_lost").await().isPresent());

    assertEquals(Optional.empty(), worker.append("j2", 1, event(JobEventType.PROGRESS, new JsonObject().put("done", 2).put("total", 2))).await());
    JobRecord job = api.get("j2").await().orElseThrow();
    assertEquals(2, job.attempt());
    assertEquals(JobStatus.QUEUED, job.status());
  }

  @Test
  void concurrentWritersOfOneJobEachGetTheirEventsInOnceAndTheLogHasNoGap() {
    create("j3");
    worker.append("j3", 1, event(JobEventType.STARTED, new JsonObject().put("attempt", 1))).await();
    List<io.vertx.core.Future<Optional<JobStore.Appended>>> writes = IntStream.rangeClosed(1, 40)
        .mapToObj(i -> (i % 2 == 0 ? worker : api).append("j3", 1, event(JobEventType.PROGRESS,
            new JsonObject().put("done", 0).put("total", 2).put("delta", "x" + i))))
        .toList();
    io.vertx.core.Future.all(writes).await();

    List<JobEvent> log = api.eventsAfter("j3", 0).await();
    assertEquals(42, log.size());
    assertEquals(numbered(1, 42), log.stream().map(JobEvent::seq).toList());
    assertEquals(40, log.stream().filter(e -> e.data().containsKey("delta")).map(e -> e.data().getString("delta")).distinct().count());
  }

  private static List<Long> numbered(long first, long last) {
    return java.util.stream.LongStream.rangeClosed(first, last).boxed().toList();
  }

  @Test
  void aSmallResultIsReadWithTheJobAndALargeOneFromTheResultsMap() {
    JsonObject small = new JsonObject().put("dimensions", 2).put("embeddings", new JsonArray().add(new JsonArray().add(0.5).add(0.5)));
    JsonArray many = new JsonArray();
    IntStream.range(0, 3).forEach(i -> many.add(new JsonArray(java.util.Collections.nCopies(4000, 0.25))));
    JsonObject large = new JsonObject().put("dimensions", 4000).put("embeddings", many);
    for (String id : List.of("small", "large")) {
      create(id);
      worker.append(id, 1, event(JobEventType.STARTED, new JsonObject().put("attempt", 1))).await();
      List<Proposal> last = List.of(new Proposal(JobEventType.PROGRESS, new JsonObject().put("done", 2).put("total", 2)),
          new Proposal(JobEventType.SUCCEEDED, new JsonObject().put("status", "succeeded")));
      assertTrue(worker.succeed(id, 1, last, id.equals("small") ? small : large).await().isPresent());
    }

    assertEquals(small, api.get("small").await().orElseThrow().result());
    assertEquals(large, api.get("large").await().orElseThrow().result());
    List<JobEvent> events = api.eventsAfter("small", 0).await();
    assertEquals(small, events.get(events.size() - 1).data().getJsonObject("result"));
  }

  @Test
  void aWorkerThatTookAFirstAttemptAppendsAfterTheCreatedLogAndIsRefusedOnceTheJobWasCancelled() {
    JobRequest fresh = request("j4");
    JobRecord job = JobRecord.queued(fresh);
    JsonObject queued = new JsonObject().put("id", "j4").put("status", "queued");
    api.create(job, fresh, queued, "api").await();
    worker.taken(fresh, queued, "worker-1");
    assertEquals(2, worker.append("j4", 1, event(JobEventType.STARTED, new JsonObject().put("attempt", 1))).await().orElseThrow()
        .events().get(0).seq());

    JobRequest cancelled = request("j5");
    JobRecord other = JobRecord.queued(cancelled);
    api.create(other, cancelled, new JsonObject().put("id", "j5").put("status", "queued"), "api").await();
    worker.taken(cancelled, new JsonObject().put("id", "j5").put("status", "queued"), "worker-1");
    assertTrue(api.append("j5", JobStore.ANY_ATTEMPT, event(JobEventType.CANCELLED, new JsonObject().put("status", "cancelled"))).await().isPresent());

    assertEquals(Optional.empty(), worker.append("j5", 1, event(JobEventType.STARTED, new JsonObject().put("attempt", 1))).await(),
        "the job was cancelled, and the worker's write is refused");
    assertEquals(List.of("queued", "cancelled"), api.eventsAfter("j5", 0).await().stream().map(e -> e.type().wireName()).toList());
  }

  @Test
  void aSmallRequestRidesWithItsHolderALargeOneApartAndBothAreForgottenWhenTheJobEndsForGood() {
    JobRequest small = request("small-request");
    long now = System.currentTimeMillis();
    JobRequest large = new JobRequest("large-request", Task.EMBED, "m", Priority.NORMAL, now, now + 60_000,
        java.util.Collections.nCopies(100, "x".repeat(100)), null, 0, null);
    for (JobRequest request : List.of(small, large)) {
      api.create(JobRecord.queued(request), request, new JsonObject().put("id", request.id()).put("status", "queued"), "api").await();
      api.assign(request, 1, "worker-1").await();
      assertEquals(request, worker.request(request.id()).await().orElseThrow());
      assertTrue(worker.assignments().await().contains(new JobStore.Assignment(request.id(), 1, "worker-1")));
    }

    for (JobRequest request : List.of(small, large)) {
      assertTrue(worker.append(request.id(), 1, event(JobEventType.FAILED, new JsonObject().put("status", "failed"))).await().isPresent());
    }

    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while ((worker.request(small.id()).await().isPresent() || worker.request(large.id()).await().isPresent()
        || !worker.assignments().await().isEmpty()) && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertEquals(Optional.empty(), worker.request(small.id()).await());
    assertEquals(Optional.empty(), worker.request(large.id()).await());
    assertEquals(List.of(), worker.assignments().await());

    api.assign(small, 1, "worker-2").await();
    assertEquals(List.of(), worker.assignments().await(), "a holder recorded after the job's end (a late hand-over answer) is not kept");
  }

  @Test
  void aLateHandOverAnswerForAnEarlierAttemptDoesNotTakeTheJobFromTheNodeThatTookItBack() {
    JobRequest request = request("j8");
    create("j8");
    api.assign(request, 1, "worker-1").await();
    assertEquals(2, worker.requeue("j8", 1, "worker_lost").await().orElseThrow().job().attempt());
    worker.assign(request, 2, "recovering-node").await();

    api.assign(request, 1, "worker-1").await();

    assertEquals(List.of(new JobStore.Assignment("j8", 2, "recovering-node")), worker.assignments().await());
  }

  @Test
  void aFirstStartThatOvertakesItsJobsCreationWritesTheJobAsTheCreationWouldAndTheCreationKeepsIt() {
    JobRequest request = request("j9");
    assertTrue(api.sendsBeforeCreated(request));
    JsonObject queuedData = new JsonObject().put("id", "j9").put("status", "queued");
    worker.taken(request, queuedData, "worker-1");
    JobStore.Appended started = worker.start("j9", 1, "worker-1", event(JobEventType.STARTED, new JsonObject().put("worker", "worker-1").put("attempt", 1)), null)
        .await().orElseThrow();
    assertEquals(2, started.events().get(0).seq(), "numbered after the queued event the creation would have written");
    assertEquals(JobStatus.RUNNING, started.job().status());

    JobStore.Appended created = api.create(JobRecord.queued(request), request, queuedData, "api").await();

    assertEquals(List.of(created.events().get(0), started.events().get(0)), api.eventsAfter("j9", 0).await(),
        "the creation's first event is the one the start wrote, and the creation changed nothing");
    assertEquals(List.of(new JobStore.Assignment("j9", 1, "worker-1")), api.assignments().await(), "the worker holds the job it started");
    assertEquals(request, api.request("j9").await().orElseThrow());
  }

  @Test
  void aStartWrittenWithTheJobsNextChangeKeepsTheTimeTheJobStartedAndMakesItsWorkerTheHolder() {
    create("j11");
    create("j12");
    long startedAt = System.currentTimeMillis() - 50;
    Proposal start = new Proposal(JobEventType.STARTED, new JsonObject().put("worker", "worker-1").put("attempt", 1), startedAt);

    JobStore.Appended live = worker.start("j11", 1, "worker-1",
        List.of(start, new Proposal(JobEventType.PROGRESS, new JsonObject().put("done", 1).put("total", 2))), null).await().orElseThrow();
    JsonObject result = new JsonObject().put("embeddings", new JsonArray().add(new JsonArray().add(0.5))).put("dimensions", 1);
    JobStore.Appended ended = worker.start("j12", 1, "worker-1", List.of(start,
        new Proposal(JobEventType.PROGRESS, new JsonObject().put("done", 2).put("total", 2)),
        new Proposal(JobEventType.SUCCEEDED, new JsonObject().put("status", "succeeded"))), result).await().orElseThrow();

    assertEquals(List.of(2L, 3L), live.events().stream().map(JobEvent::seq).toList());
    assertEquals(startedAt, live.events().get(0).at(), "the started event keeps the time the job started, not the write's");
    assertTrue(live.events().get(1).at() >= startedAt + 50, "what followed is timed by the write");
    assertEquals(startedAt, live.job().started());
    assertEquals(List.of(new JobStore.Assignment("j11", 1, "worker-1")), api.assignments().await(), "the worker holds the live job it started");
    assertEquals(List.of("started", "progress", "succeeded"), ended.events().stream().map(e -> e.type().wireName()).toList());
    JobRecord stored = api.get("j12").await().orElseThrow();
    assertEquals(JobStatus.SUCCEEDED, stored.status());
    assertEquals(startedAt, stored.started());
    assertEquals(result, stored.result(), "the result came with the same write");
  }

  @Test
  void aJobThatExpiresOnItsWorkerBeforeItsCreationLandsEndsAndStaysEnded() {
    JobRequest request = request("j10");
    JsonObject queuedData = new JsonObject().put("id", "j10").put("status", "queued");
    worker.taken(request, queuedData, "worker-1");
    assertTrue(worker.append("j10", 1, event(JobEventType.EXPIRED, new JsonObject().put("status", "expired"))).await().isPresent(),
        "the worker's first change writes the job before its end");

    api.create(JobRecord.queued(request), request, queuedData, "api").await();

    assertEquals(JobStatus.EXPIRED, api.get("j10").await().orElseThrow().status(), "the late creation did not bring the job back");
    assertEquals(List.of(), api.assignments().await());
    assertEquals(Optional.empty(), worker.start("j10", 1, "worker-1", event(JobEventType.STARTED, new JsonObject().put("attempt", 1)), null).await());
  }

  @Test
  void aChangeRunASecondTimeAnswersWhatTheFirstRunAppendedAndAppendsNothing() {
    create("j6");
    IMap<String, String> jobs = hazelcast.getMap("inferbus.jobs");
    long now = System.currentTimeMillis();
    List<Proposal> started = event(JobEventType.STARTED, new JsonObject().put("attempt", 1));
    String first = jobs.submitToKey("j6", JobEntryProcessors.Change.appending("change-1", 1, started, null, now, RETENTION.toMillis()))
        .toCompletableFuture().join();
    assertTrue(api.append("j6", 1, event(JobEventType.PROGRESS, new JsonObject().put("done", 1).put("total", 2))).await().isPresent(),
        "another writer appends between the two runs");
    String second = jobs.submitToKey("j6", JobEntryProcessors.Change.appending("change-1", 1, started, null, now, RETENTION.toMillis()))
        .toCompletableFuture().join();

    assertEquals(JobEntryProcessors.appended(first).events(), JobEntryProcessors.appended(second).events());
    assertEquals(List.of("queued", "started", "progress"), api.eventsAfter("j6", 0).await().stream().map(e -> e.type().wireName()).toList());
  }

  @Test
  void theChangeThatEndsAJobStartsItsRetentionTimeInTheSameWrite() {
    create("j7");
    IMap<String, String> jobs = hazelcast.getMap("inferbus.jobs");
    assertEquals(Long.MAX_VALUE, jobs.getEntryView("j7").getTtl(), "a live job does not expire");

    assertTrue(worker.append("j7", 1, event(JobEventType.FAILED, new JsonObject().put("status", "failed"))).await().isPresent());
    assertEquals(RETENTION.toMillis(), jobs.getEntryView("j7").getTtl());
    assertEquals(JobStatus.FAILED, api.get("j7").await().orElseThrow().status());
  }

  @Test
  void theBackupHoldsEveryChangeSoTheJobOutlivesTheMemberThatOwnedIt() {
    String cluster = "backup-test-" + UUID.randomUUID();
    HazelcastInstance survivor = Hazelcast.newHazelcastInstance(joining(cluster));
    HazelcastInstance owner = Hazelcast.newHazelcastInstance(joining(cluster));
    try {
      assertEquals(2, survivor.getCluster().getMembers().size(), "the second member joined");
      HazelcastJobStore store = new HazelcastJobStore(vertx, survivor, Clock.systemUTC(), RETENTION, 1 << 20);
      String id = IntStream.range(0, 1000).mapToObj(i -> "backed-up-" + i)
          .filter(key -> survivor.getPartitionService().getPartition(key).getOwner().equals(owner.getCluster().getLocalMember()))
          .findFirst().orElseThrow();
      JobRecord job = JobRecord.queued(id, Task.EMBED, "m", Priority.NORMAL, 2, System.currentTimeMillis(), null);
      store.create(job, request(id), new JsonObject().put("id", id).put("status", "queued"), "api").await();
      assertTrue(store.append(id, 1, event(JobEventType.STARTED, new JsonObject().put("attempt", 1))).await().isPresent());
      assertTrue(store.append(id, 1, event(JobEventType.FAILED, new JsonObject().put("status", "failed"))).await().isPresent());

      String live = IntStream.range(0, 1000).mapToObj(i -> "live-" + i)
          .filter(key -> survivor.getPartitionService().getPartition(key).getOwner().equals(owner.getCluster().getLocalMember()))
          .findFirst().orElseThrow();
      JobRequest liveRequest = request(live);
      store.create(JobRecord.queued(liveRequest), liveRequest, new JsonObject().put("id", live).put("status", "queued"), "api").await();
      store.assign(liveRequest, 1, "worker-1").await();

      owner.getLifecycleService().terminate();

      assertEquals(List.of(new JobStore.Assignment(live, 1, "worker-1")), store.assignments().await(),
          "the live job's holder, read from the promoted backup; the ended job has none");
      assertEquals(liveRequest, store.request(live).await().orElseThrow());
      assertEquals(List.of("queued", "started", "failed"), store.eventsAfter(id, 0).await().stream().map(e -> e.type().wireName()).toList());
      IMap<String, String> jobs = survivor.getMap("inferbus.jobs");
      assertEquals(RETENTION.toMillis(), jobs.getEntryView(id).getTtl(), "the backup kept the retention time too");
    } finally {
      owner.getLifecycleService().terminate();
      survivor.getLifecycleService().terminate();
    }
  }

  /** A member on loopback that joins the others of {@code cluster}. */
  private static Config joining(String cluster) {
    Config config = alone().setClusterName(cluster);
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).addMember("127.0.0.1");
    return config;
  }
}
