package io.inferbus.loadtest;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.feed;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.ws;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.Map;

/**
 * Jobs over the event-bus bridge, as a JavaScript client sends them, on SockJS's raw WebSocket
 * transport ({@code /eventbus/websocket}: the bridge's JSON frames without SockJS's framing). Each
 * user opens one socket and, over it, submits transliteration jobs one after another: a {@code send}
 * to {@code inferbus.submit} with a reply address, then a {@code register} for the job's events,
 * read to the terminal one. Must hold: every reply is a job, every job succeeds, no KO.
 */
public class Bridge extends Simulation {
  private final Harness service = Harness.single("", Map.of());

  {
    Duration length = Harness.length(60);
    ChainBuilder oneJob = feed(Transliterations.jobs(1, "normal"))
        .exec(session -> session.set("reply", "reply-" + session.userId() + "-" + System.nanoTime()))
        .exec(ws("submit").sendText(StringBody("{\"type\":\"send\",\"address\":\"inferbus.submit\",\"replyAddress\":\"#{reply}\",\"body\":#{job}}"))
            .await(Duration.ofSeconds(10)).on(
                ws.checkTextMessage("bridge reply").matching(jsonPath("$.address").isEL("#{reply}"))
                    .check(jsonPath("$.body.id").saveAs("jobId"))))
        .exec(ws("follow").sendText(StringBody("{\"type\":\"register\",\"address\":\"inferbus.events.#{jobId}\"}"))
            .await(Duration.ofSeconds(60)).on(
                ws.checkTextMessage("bridge terminal").matching(jsonPath("$.body.type").in(Seed000Transliteration.TERMINAL))
                    .check(jsonPath("$.body.type").is("succeeded"))));

    setUp(scenario("transliteration over the bridge")
            .exec(ws("open").connect("/eventbus/websocket"))
            .during(length).on(oneJob)
            .exec(ws("close").close())
            .injectClosed(constantConcurrentUsers(Harness.users(50, 5)).during(length)))
        .protocols(http.baseUrl(service.baseUrl).wsBaseUrl(service.baseUrl.replaceFirst("^http", "ws")))
        .maxDuration(length.plusSeconds(60))
        .assertions(
            details("bridge terminal").responseTime().percentile(95.0).lt(10_000),
            details("bridge terminal").failedRequests().count().is(0L),
            global().failedRequests().count().is(0L));
  }

  @Override
  public void after() {
    service.close();
  }
}
