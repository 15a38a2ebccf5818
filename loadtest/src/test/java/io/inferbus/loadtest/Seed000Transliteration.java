package io.inferbus.loadtest;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.feed;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.sse;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.Map;

/**
 * The seed's target: 50 concurrent users, each streaming transliteration jobs over SSE to their
 * terminal event, one after another. Reported: time to the first {@code progress} event and to the
 * terminal one (both from the POST). Must hold: p95 of the terminal event under 10 s, and no KO.
 */
public class Seed000Transliteration extends Simulation {
  static final String[] TERMINAL = {"succeeded", "failed", "cancelled", "expired"};

  /** POST a job with Accept: text/event-stream and read it to its terminal event, which must be a success. */
  static ChainBuilder streamOneJob() {
    return exec(sse("transliterate").post("/v1/jobs").body(StringBody("#{job}")).asJson()
            .await(Duration.ofSeconds(60)).on(
                sse.checkMessage("first progress").matching(jsonPath("$.event").is("progress")),
                sse.checkMessage("terminal").matching(jsonPath("$.event").in(TERMINAL)).check(jsonPath("$.event").is("succeeded"))))
        .exec(sse("close stream").close());
  }

  private final Harness service = Harness.single("", Map.of());

  {
    Duration length = Harness.length(60);
    setUp(scenario("transliteration over SSE")
            .during(length).on(feed(Transliterations.jobs(1, "normal")).exec(streamOneJob()))
            .injectClosed(constantConcurrentUsers(Harness.users(50, 5)).during(length)))
        .protocols(http.baseUrl(service.baseUrl))
        .maxDuration(length.plusSeconds(60))
        .assertions(
            details("terminal").responseTime().percentile(95.0).lt(10_000),
            details("terminal").failedRequests().count().is(0L),
            global().failedRequests().count().is(0L));
  }

  @Override
  public void after() {
    service.close();
  }
}
