package io.inferbus.verticles.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
      RedisConfig config = new RedisConfig(redis.url(), "inferbus-test-" + UUID.randomUUID() + ":", true, 2_000, 5, 1_000, 10);
      RedisJobStore store = new RedisJobStore(RedisGateway.create(vertx, config, new SimpleMeterRegistry()).orElseThrow(), Clock.systemUTC(),
          Duration.ofMinutes(5));
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
}
