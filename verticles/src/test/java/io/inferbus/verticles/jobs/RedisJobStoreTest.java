package io.inferbus.verticles.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.inferbus.inference.Priority;
import io.inferbus.inference.Task;
import io.inferbus.verticles.RedisServer;
import io.inferbus.verticles.config.InferbusConfig.RedisConfig;
import io.inferbus.verticles.redis.RedisGateway;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The Redis job store against a real redis-server: what recovery reads of a job's holder. */
class RedisJobStoreTest {

  @Test
  void aHolderRecordedAfterTheJobsEndIsNotKept() {
    Vertx vertx = Vertx.vertx();
    try (RedisServer redis = RedisServer.start()) {
      RedisJobStore store = store(vertx, config(redis));
      long now = System.currentTimeMillis();
      JobRequest request = new JobRequest("j1", Task.NOOP, "noop", Priority.NORMAL, now, now + 60_000, List.of("a"), null, 0, null);
      store.create(JobRecord.queued(request), request, new JsonObject().put("id", "j1").put("status", "queued"), "api").await();

      store.assign(request, 1, "worker-1").await();
      assertEquals(List.of(new JobStore.Assignment("j1", 1, "worker-1")), store.assignments().await());

      assertTrue(store.append("j1", 1, List.of(new JobStore.Proposal(JobEventType.FAILED, new JsonObject().put("status", "failed"))))
          .await().isPresent());
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!store.assignments().await().isEmpty() && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertEquals(List.of(), store.assignments().await(), "the job's end removes its holder");

      store.assign(request, 1, "worker-2").await();
      assertEquals(List.of(), store.assignments().await(), "a late hand-over answer does not bring it back");
    } finally {
      vertx.close().await();
    }
  }

  /**
   * Two stores on one Redis stand for two nodes: each takes the entry it wrote last as current, so
   * the other one writes in between, and nothing may be lost, doubled or let through on a stale view.
   */
  @Test
  void writersOnTwoNodesAppendInOneOrderWhateverEachRemembers() {
    Vertx vertx = Vertx.vertx();
    try (RedisServer redis = RedisServer.start()) {
      RedisConfig config = config(redis);
      RedisJobStore api = store(vertx, config);
      RedisJobStore worker = store(vertx, config);
      long now = System.currentTimeMillis();
      JobRequest request = new JobRequest("j2", Task.NOOP, "noop", Priority.NORMAL, now, now + 60_000, List.of("a", "b"), null, 0, null);
      JobRecord job = JobRecord.queued(request);
      JsonObject queued = new JsonObject().put("id", "j2").put("status", "queued");
      api.create(job, request, queued, "api").await();
      RuntimeException exists = assertThrows(RuntimeException.class, () -> api.create(job, request, queued, "other").await());
      assertTrue(exists.getMessage().contains("exists"), exists.getMessage());
      assertEquals(List.of(new JobStore.Assignment("j2", 1, "api")), api.assignments().await(), "the refused create changed nothing");

      worker.taken(request, queued, "worker-1");
      assertEquals(2, worker.append("j2", 1, event(JobEventType.STARTED, new JsonObject().put("attempt", 1))).await().orElseThrow()
          .events().get(0).seq(), "the worker's guess of the created entry holds: numbered after it");
      assertEquals(3, api.append("j2", 1, event(JobEventType.PROGRESS, new JsonObject().put("done", 1).put("total", 2))).await().orElseThrow()
          .events().get(0).seq(), "the API node's remembered entry is stale: refused, read, numbered after the worker's");
      assertEquals(4, worker.append("j2", 1, event(JobEventType.PROGRESS, new JsonObject().put("done", 2).put("total", 2))).await().orElseThrow()
          .events().get(0).seq());

      assertTrue(api.requeue("j2", 1, "worker_lost").await().isPresent());
      assertTrue(worker.append("j2", 1, event(JobEventType.SUCCEEDED, new JsonObject().put("status", "succeeded"))).await().isEmpty(),
          "the holder of a taken-back attempt is refused though its own view says otherwise");
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L), api.eventsAfter("j2", 0).await().stream().map(JobEvent::seq).toList());
      assertEquals(List.of("queued", "started", "progress", "progress", "queued"),
          worker.eventsAfter("j2", 0).await().stream().map(e -> e.type().wireName()).toList());
    } finally {
      vertx.close().await();
    }
  }

  /** A key prefix of its own, so each test sees only its jobs. */
  private static RedisConfig config(RedisServer redis) {
    return new RedisConfig(redis.url(), "inferbus-test-" + UUID.randomUUID() + ":", true, 2_000, 5, 1_000, 10);
  }

  /** A node's store: its own connection to Redis. */
  private static RedisJobStore store(Vertx vertx, RedisConfig config) {
    return new RedisJobStore(RedisGateway.create(vertx, config, new SimpleMeterRegistry()).orElseThrow(), Clock.systemUTC(), Duration.ofMinutes(5));
  }

  private static List<JobStore.Proposal> event(JobEventType type, JsonObject data) {
    return List.of(new JobStore.Proposal(type, data));
  }
}
