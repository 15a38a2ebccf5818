package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.inferbus.verticles.bus.BusAddresses;
import io.inferbus.verticles.jobs.JobEvent;
import io.inferbus.verticles.jobs.JobEventBatch;
import io.inferbus.verticles.jobs.JobEventType;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A worker writes a job's start with the job's next change, so a short job's start costs no write
 * (and no message) of its own, while a job that runs longer still shows it started at once.
 */
class StartedEventTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static TestNode noopNode(int delayMs) {
    return TestNode.start("models:\n  - id: noop\n    task: noop\n    delay-ms: " + delayMs + "\n    sessions: 1\n", Map.of());
  }

  private static String submit(TestNode node, String input) {
    HttpResponse<Buffer> accepted = node.postJson("/v1/jobs", new JsonObject().put("task", "noop").put("input", input));
    assertEquals(202, accepted.statusCode(), accepted.bodyAsString());
    return accepted.bodyAsJsonObject().getString("id");
  }

  private static String status(TestNode node, String id) {
    return node.get("/v1/jobs/" + id).bodyAsJsonObject().getString("status");
  }

  @Test
  void aShortJobsStartIsWrittenAndAnnouncedWithItsEndAndKeepsTheTimeItStarted() {
    try (TestNode node = noopNode(0)) {
      List<List<JobEvent>> changes = new CopyOnWriteArrayList<>();
      MessageConsumer<Object> news = node.node.vertx().eventBus().consumer(BusAddresses.JOB_EVENTS,
          message -> changes.add(message.body() instanceof JobEventBatch batch ? batch.events() : List.of((JobEvent) message.body())));
      news.completion().await();
      String id = submit(node, "short");
      // The news of the end reaches this consumer on its own, after the store already answers "succeeded".
      node.pollUntil("the job's end to be announced", WAIT, () -> changes.stream()
          .anyMatch(events -> events.stream().anyMatch(e -> e.jobId().equals(id) && e.type() == JobEventType.SUCCEEDED)));

      List<List<JobEvent>> ofJob = changes.stream().filter(events -> events.get(0).jobId().equals(id)).toList();
      List<JobEvent> end = ofJob.get(ofJob.size() - 1);
      assertEquals(List.of(JobEventType.STARTED, JobEventType.PROGRESS, JobEventType.SUCCEEDED), end.stream().map(JobEvent::type).toList(),
          "one change started and ended the job: " + ofJob);
      assertEquals(List.of(2L, 3L, 4L), end.stream().map(JobEvent::seq).toList());
      assertTrue(end.get(0).at() <= end.get(2).at());
      assertEquals(JobEventType.QUEUED, ofJob.get(0).get(0).type());
      assertEquals(2, ofJob.size(), "queued, then the one change: " + ofJob);
    }
  }

  @Test
  void aJobThatRunsLongerShowsItStartedWhileItRuns() {
    try (TestNode node = noopNode(3_000)) {
      String id = submit(node, "long");
      // The job runs 3 s: seen running within 1.5 s of being accepted, its start was written alone, long before its end.
      node.pollUntil("the job to show it started", Duration.ofMillis(1_500), () -> status(node, id).equals("running"));
      node.pollUntil("the job to succeed", WAIT, () -> status(node, id).equals("succeeded"));
    }
  }
}
