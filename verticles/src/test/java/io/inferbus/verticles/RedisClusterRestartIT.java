package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * With Redis as the job store, a whole cluster (API node and worker, real JVMs) is killed with
 * jobs still queued and running; a new cluster started on the same Redis finishes every one of them.
 */
class RedisClusterRestartIT {
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration JOBS_END = Duration.ofSeconds(180);
  private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled", "expired");

  @Test
  void jobsLeftUnfinishedByAKilledClusterFinishInTheNextOne() throws Exception {
    try (RedisServer redis = RedisServer.start()) {
      jobsLeftUnfinishedFinishInTheNextCluster(Map.of(
          "INFERBUS_REDIS_URL", redis.url(),
          "INFERBUS_REDIS_JOB_STORE", "true",
          "INFERBUS_REDIS_KEY_PREFIX", "inferbus-it-" + UUID.randomUUID() + ":"));
    }
  }

  private void jobsLeftUnfinishedFinishInTheNextCluster(Map<String, String> durableJobs) throws Exception {
    int firstClusterPort = 24000 + new Random().nextInt(500) * 10;
    List<String> ids = new ArrayList<>();
    try (ClusterProcess api = ClusterProcess.start("restart-api-1", "api", firstClusterPort, durableJobs);
         ClusterProcess worker = ClusterProcess.start("restart-worker-1", "worker", firstClusterPort, durableJobs);
         ApiClient client = new ApiClient(api.httpPort)) {
      api.awaitReady(START);
      worker.awaitReady(START);
      client.pollUntil("the worker to be seen by the API node", START, () -> client.postJson("/v1/jobs", noopJob(1, -1)).statusCode() == 202);
      for (int i = 0; i < 24; i++) {
        HttpResponse<Buffer> accepted = client.postJson("/v1/jobs", noopJob(60, i));
        assertEquals(202, accepted.statusCode(), accepted.bodyAsString());
        ids.add(accepted.bodyAsJsonObject().getString("id"));
      }
      client.pollUntil("some jobs to finish", JOBS_END,
          () -> ids.stream().filter(id -> client.get("/v1/jobs/" + id).bodyAsJsonObject().getString("status").equals("succeeded")).count() >= 2);
      worker.kill();
      api.kill();
    }

    int secondClusterPort = firstClusterPort + 5000;
    try (ClusterProcess api = ClusterProcess.start("restart-api-2", "api", secondClusterPort, durableJobs);
         ClusterProcess worker = ClusterProcess.start("restart-worker-2", "worker", secondClusterPort, durableJobs)) {
      api.awaitReady(START);
      worker.awaitReady(START);
      try (ApiClient client = new ApiClient(api.httpPort)) {
        for (String id : ids) {
          JsonObject[] job = new JsonObject[1];
          client.pollUntil("job " + id + " to end", JOBS_END, () -> {
            HttpResponse<Buffer> response = client.get("/v1/jobs/" + id);
            return response.statusCode() == 200 && TERMINAL.contains((job[0] = response.bodyAsJsonObject()).getString("status"));
          });
          assertEquals("succeeded", job[0].getString("status"), job[0].encode());
          assertEquals(60, job[0].getJsonObject("progress").getInteger("done"));
        }
        long finishedByTheNewCluster = ids.stream().filter(id -> client.stream(HttpMethod.GET, "/v1/jobs/" + id + "/events", null, Map.of())
            .awaitEnd(Duration.ofSeconds(30)).stream()
            .anyMatch(e -> e.type().equals("started") && worker.nodeId().equals(e.data().getString("worker")))).count();
        assertTrue(finishedByTheNewCluster >= 10, "the kill should have left work for the new cluster, but it ran only " + finishedByTheNewCluster);
      }
    }
  }

  private static JsonObject noopJob(int items, long seed) {
    JsonArray input = new JsonArray();
    for (int i = 0; i < items; i++) {
      input.add("restart job " + seed + " item " + i);
    }
    return new JsonObject().put("task", "noop").put("model", "noop").put("input", input);
  }
}
