package io.inferbus.loadtest;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * OpenAI-style {@code POST /v1/embeddings}, one sentence each, arriving at a rate that ramps from
 * 10/s to 600/s in a minute, past what this 2-core machine serves (about 300 single-sentence
 * requests/s): an open model, arrivals do not wait for answers. The report's response-time and
 * requests-per-second charts show the knee: the rate where p95 doubles. Must hold: every request
 * answered, either 200 with a 384-dimension vector or, once the overload has filled the model's
 * queue ({@code scheduling.max-queued.high}), 429 {@code queue_full} with {@code Retry-After}: no
 * timeout, no other status, nothing malformed.
 */
public class EmbeddingsRamp extends Simulation {
  private final Harness service = Harness.single("", Map.of());

  {
    Duration length = Harness.length(60);
    setUp(scenario("POST /v1/embeddings")
            .feed(sentences())
            .exec(http("embedding").post("/v1/embeddings").body(StringBody("#{body}")).asJson()
                .check(status().in(200, 429))
                .checkIf((response, session) -> response.status().code() == 200).then(jsonPath("$.data[0].embedding[*]").count().is(384))
                .checkIf((response, session) -> response.status().code() == 429).then(
                    jsonPath("$.error.code").is("queue_full"), header("Retry-After").exists()))
            .injectOpen(rampUsersPerSec(Harness.SMOKE ? 5 : 10).to(Harness.SMOKE ? 20 : 600).during(length)))
        .protocols(http.baseUrl(service.baseUrl).shareConnections())
        .maxDuration(length.plusSeconds(120))
        .assertions(
            details("embedding").failedRequests().count().is(0L),
            global().failedRequests().count().is(0L));
  }

  private static Iterator<Map<String, Object>> sentences() {
    String[] subjects = {"A man", "The team", "My neighbour", "A small dog", "The committee", "Every student", "The old train", "A musician"};
    String[] verbs = {"is reading", "discussed", "painted", "repaired", "forgot", "photographed", "wrote about", "carried"};
    String[] objects = {"a long report", "the garden fence", "an old guitar", "the city map", "a letter home", "the broken clock", "a winter coat", "the new bridge"};
    AtomicLong next = new AtomicLong();
    return Stream.generate(() -> {
      long n = next.getAndIncrement();
      String sentence = subjects[(int) (n % 8)] + " " + verbs[(int) (n / 8 % 8)] + " " + objects[(int) (n / 64 % 8)] + " on day " + n + ".";
      return Map.<String, Object>of("body", "{\"model\":\"all-minilm-l6-v2\",\"input\":\"" + sentence + "\"}");
    }).iterator();
  }

  @Override
  public void after() {
    service.close();
  }
}
