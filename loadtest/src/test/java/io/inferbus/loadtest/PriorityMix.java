package io.inferbus.loadtest;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.sse;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.Map;

/**
 * Priorities under load. Normal and low jobs (16 items each: one full batch) keep both runners of
 * a model busy all the time; critical jobs arrive once a second. The worker model does 40 ms of
 * pretend work per item, so one batch runs 640 ms. A job's queue wait is {@code started - created}
 * in its record, as the service measures it; the report also shows the time from the POST to the
 * {@code started} event as a client sees it. Must hold: critical p95 queue wait at most one batch's run time (a critical job
 * overtakes everything waiting and starts at the next batch boundary), and no low job waits
 * longer than the aging bound (30 s) plus one batch, however much normal work keeps arriving: low
 * jobs get no runner while normal ones wait, until a low job is 10 s older than the newest normal one.
 */
public class PriorityMix extends Simulation {
  private static final int ITEM_MS = 40;
  private static final int BATCH_ITEMS = 16;
  private static final int BATCH_MS = ITEM_MS * BATCH_ITEMS;
  /** The packaged {@code scheduling.aging-bound-seconds}: a level is worth a third of it (10 s). */
  private static final int AGING_BOUND_MS = 30_000;
  private static final String CONF = """
      models:
        - id: noop
          task: noop
          delay-ms: %d
          sessions: 2
      worker:
        batch-items: %d
      """.formatted(ITEM_MS, BATCH_ITEMS);

  private final Harness service = Harness.single(CONF, Map.of());

  {
    Duration length = Harness.length(60);
    setUp(
        scenario("normal background").during(length).on(job("normal", BATCH_ITEMS))
            .injectClosed(constantConcurrentUsers(Harness.users(8, 3)).during(length)),
        scenario("low background").during(length)
            .on(job("low", BATCH_ITEMS, "low queue wait within the aging bound and one batch", AGING_BOUND_MS + BATCH_MS))
            .injectClosed(constantConcurrentUsers(Harness.users(4, 2)).during(length)),
        scenario("critical").exec(job("critical", 1, "critical queue wait within one batch", BATCH_MS))
            .injectOpen(constantUsersPerSec(1).during(length)))
        .protocols(http.baseUrl(service.baseUrl))
        .maxDuration(length.plusSeconds(60))
        .assertions(
            // p95 of the critical jobs' queue waits within one batch: at most 5 % of them wait longer
            details("critical queue wait within one batch").failedRequests().percent().lte(5.0),
            details("low queue wait within the aging bound and one batch").failedRequests().count().is(0L),
            details("critical terminal").failedRequests().count().is(0L),
            details("normal terminal").failedRequests().count().is(0L),
            details("low terminal").failedRequests().count().is(0L));
  }

  /**
   * One job of {@code items} noop items at {@code priority}, streamed to its end; then its record,
   * whose {@code started - created} is its queue wait as the service measured it, checked against
   * {@code maxWaitMs} (a KO of the named request when longer).
   */
  private static ChainBuilder job(String priority, int items, String waitCheck, long maxWaitMs) {
    String body = "{\"task\":\"noop\",\"priority\":\"" + priority + "\",\"input\":[" + "\"x\",".repeat(items - 1) + "\"x\"]}";
    ChainBuilder streamed = exec(sse(priority).post("/v1/jobs").body(StringBody(body)).asJson()
        .await(Duration.ofSeconds(90)).on(
            sse.checkMessage(priority + " queued").matching(jsonPath("$.event").is("queued")).check(jsonPath("$.data.id").saveAs("jobId")),
            sse.checkMessage(priority + " started").matching(jsonPath("$.event").is("started")),
            sse.checkMessage(priority + " terminal").matching(jsonPath("$.event").in(Seed000Transliteration.TERMINAL))
                .check(jsonPath("$.event").is("succeeded"))))
        .exec(sse("close stream").close());
    return waitCheck == null ? streamed : streamed.exec(http(waitCheck).get("/v1/jobs/#{jobId}")
        .check(bodyString().transform(PriorityMix::queueWaitMillis).lte(maxWaitMs)));
  }

  private static ChainBuilder job(String priority, int items) {
    return job(priority, items, null, 0);
  }

  private static long queueWaitMillis(String record) {
    java.util.regex.Matcher created = java.util.regex.Pattern.compile("\"created\":\"([^\"]+)\"").matcher(record);
    java.util.regex.Matcher started = java.util.regex.Pattern.compile("\"started\":\"([^\"]+)\"").matcher(record);
    if (!created.find() || !started.find()) {
      return Long.MAX_VALUE;
    }
    return java.time.Duration.between(java.time.Instant.parse(created.group(1)), java.time.Instant.parse(started.group(1))).toMillis();
  }

  @Override
  public void after() {
    service.metrics("inferbus_job_queue_wait_seconds").forEach(line -> System.out.println("service: " + line));
    service.close();
  }
}
