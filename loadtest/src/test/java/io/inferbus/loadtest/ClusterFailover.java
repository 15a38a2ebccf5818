package io.inferbus.loadtest;

import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.feed;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;

import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The seed's load ({@link Seed000Transliteration}) against a cluster of one API node and two
 * workers, with one worker killed (SIGKILL) halfway through. Its jobs go back to the other worker
 * and finish there: every stream must still end in success, with no KO.
 */
public class ClusterFailover extends Simulation {
  private final Harness cluster = Harness.cluster(2, Map.of());
  private final ScheduledExecutorService killer = Executors.newSingleThreadScheduledExecutor();
  private final Duration length = Harness.length(60);

  {
    setUp(scenario("transliteration over SSE, a worker killed halfway")
            .during(length).on(feed(Transliterations.jobs(1, "normal")).exec(Seed000Transliteration.streamOneJob()))
            .injectClosed(constantConcurrentUsers(Harness.users(50, 5)).during(length)))
        .protocols(http.baseUrl(cluster.baseUrl))
        .maxDuration(length.plusSeconds(90))
        .assertions(
            details("terminal").failedRequests().count().is(0L),
            global().failedRequests().count().is(0L));
  }

  @Override
  public void before() {
    killer.schedule(() -> {
      cluster.killWorker(0);
      System.out.println("harness: worker 1 killed (SIGKILL)");
    }, length.toMillis() / 2, TimeUnit.MILLISECONDS);
  }

  @Override
  public void after() {
    killer.shutdownNow();
    cluster.close();
  }
}
