package io.inferbus.loadtest;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
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
 * Clients that lose their stream mid-job: each streams a three-sentence transliteration job, drops
 * the connection after the first text arrives, and resumes with {@code Last-Event-ID}. The first event
 * after the resume must be the next one in the job's log (nothing missed, nothing doubled), its text
 * must continue the text seen before the drop, and the job must end in success on the resumed stream.
 */
public class Reconnect extends Simulation {
  private final Harness service = Harness.single("", Map.of());

  {
    Duration length = Harness.length(60);
    ChainBuilder dropAndResume = feed(Transliterations.jobs(3, "normal"))
        .exec(sse("stream").post("/v1/jobs").body(StringBody("#{job}")).asJson()
            .await(Duration.ofSeconds(60)).on(
                sse.checkMessage("queued").matching(jsonPath("$.event").is("queued")).check(jsonPath("$.data.id").saveAs("jobId")),
                sse.checkMessage("text before the drop").matching(jsonPath("$.data.text").exists())
                    .check(jsonPath("$.id").saveAs("lastId"), jsonPath("$.data.text").saveAs("textSoFar"))))
        .exec(sse("drop the stream").close())
        .exec(sse("resume").get("/v1/jobs/#{jobId}/events").header("Last-Event-ID", "#{lastId}")
            .await(Duration.ofSeconds(60)).on(
                sse.checkMessage("next event after the resume").matching(jsonPath("$.id").exists())
                    .check(jsonPath("$.id").transformWithSession((id, session) -> Long.parseLong(id) - Long.parseLong(session.getString("lastId"))).is(1L)),
                sse.checkMessage("terminal after the resume").matching(jsonPath("$.event").in(Seed000Transliteration.TERMINAL))
                    .check(jsonPath("$.event").is("succeeded"),
                        jsonPath("$.data.result.texts[0]").transformWithSession((text, session) -> text.startsWith(session.getString("textSoFar"))).is(true))))
        .exec(sse("close stream").close());

    setUp(scenario("drop the stream and resume with Last-Event-ID")
            .during(length).on(dropAndResume)
            .injectClosed(constantConcurrentUsers(Harness.users(20, 4)).during(length)))
        .protocols(http.baseUrl(service.baseUrl))
        .maxDuration(length.plusSeconds(60))
        .assertions(
            details("next event after the resume").failedRequests().count().is(0L),
            details("terminal after the resume").failedRequests().count().is(0L),
            global().failedRequests().count().is(0L));
  }

  @Override
  public void after() {
    service.close();
  }
}
