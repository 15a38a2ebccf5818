package io.inferbus.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a cluster costs before any store or bookkeeping: the bare pipeline ({@link BarePipeline}) in
 * one JVM against the same pipeline split over two Hazelcast-clustered JVMs (POST and SSE in one,
 * the consumer in the other), with each job's six events sent as six messages and as one. Same
 * load as {@link OrchestrationBenchmark}, in turns, each ratio the median over the turns. The
 * clustered service cannot keep more of the one-JVM throughput than the split pipeline keeps of
 * the bare one, unless it sends fewer messages per job.
 *
 * <p>Usage: ClusterFloorBenchmark [path/to/inferbus.jar] [clients] [seconds per measurement] [turns]
 */
public final class ClusterFloorBenchmark {
  private ClusterFloorBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args.length > 0 ? args[0] : "verticles/target/inferbus.jar").toAbsolutePath();
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
    int turns = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    Path logs = Files.createTempDirectory("inferbus-cluster-floor");
    System.out.printf("bare pipeline, noop jobs of 6 items, POST + SSE to the terminal event, %d clients, %d s per measurement, %d turns (logs in %s)%n",
        clients, seconds, turns, logs);
    OrchestrationBenchmark.printColumns();

    List<ClosedLoopLoad.Figures> oneJvm = new ArrayList<>();
    List<ClosedLoopLoad.Figures> split = new ArrayList<>();
    List<ClosedLoopLoad.Figures> splitBatched = new ArrayList<>();
    int port = ServiceProcess.freePort();
    int apiPort = ServiceProcess.freePort();
    int batchedApiPort = ServiceProcess.freePort();
    try (ServiceProcess alone = ServiceProcess.startBarePipeline(jar, port, logs.resolve("bare.log"));
         ServiceProcess api = ServiceProcess.startBarePipeline(jar, cluster(apiPort, "api", 33000), logs.resolve("api.log"));
         ServiceProcess worker = ServiceProcess.startBarePipeline(jar, cluster(0, "worker", 33000), logs.resolve("worker.log"));
         ServiceProcess batchedApi = ServiceProcess.startBarePipeline(jar, cluster(batchedApiPort, "api", 33100), logs.resolve("batched-api.log"));
         ServiceProcess batchedWorker = ServiceProcess.startBarePipeline(jar, cluster(0, "worker-batched", 33100), logs.resolve("batched-worker.log"))) {
      awaitJobs(apiPort);
      awaitJobs(batchedApiPort);
      for (int p : List.of(port, apiPort, batchedApiPort)) {
        OrchestrationBenchmark.load(p, clients, OrchestrationBenchmark.WARM_UP_SECONDS);
      }
      for (int turn = 1; turn <= turns; turn++) {
        oneJvm.add(OrchestrationBenchmark.measured("bare, one JVM " + turn, OrchestrationBenchmark.load(port, clients, seconds)));
        split.add(OrchestrationBenchmark.measured("bare, api JVM + worker JVM " + turn, OrchestrationBenchmark.load(apiPort, clients, seconds)));
        splitBatched.add(OrchestrationBenchmark.measured("bare, 2 JVMs, events in one message " + turn,
            OrchestrationBenchmark.load(batchedApiPort, clients, seconds)));
      }
    }
    report("two JVMs / one JVM jobs/s", split, oneJvm);
    report("two JVMs, one message / one JVM jobs/s", splitBatched, oneJvm);
  }

  /** Each bare cluster has its own Hazelcast cluster name and ports, so the two never join. */
  private static List<String> cluster(int httpPort, String role, int clusterPort) {
    return List.of(String.valueOf(httpPort), role, String.valueOf(clusterPort), "127.0.0.1:" + clusterPort + ",127.0.0.1:" + (clusterPort + 1));
  }

  /**
   * The API JVM is ready before the worker has joined, and a job sent before the consumer is known
   * cluster-wide is never answered: each try gets 2 s.
   */
  private static void awaitJobs(int apiPort) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest job = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/v1/jobs"))
        .timeout(Duration.ofSeconds(2)).header("Content-Type", "application/json").header("Accept", "text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString("{\"input\":[\"a\"]}")).build();
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (true) {
      try {
        if (http.send(job, HttpResponse.BodyHandlers.ofString()).body().contains("event: succeeded")) {
          return;
        }
      } catch (IOException notYet) {
        // refused or timed out: the JVMs are still joining
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the bare cluster on " + apiPort + " never answered a job");
      }
      Thread.sleep(200);
    }
  }

  private static void report(String what, List<ClosedLoopLoad.Figures> of, List<ClosedLoopLoad.Figures> to) {
    List<Double> ratios = OrchestrationBenchmark.ratios(of, to, ClosedLoopLoad.Figures::perSecond);
    System.out.printf("%s: %.3f (median of %s)%n", what, ClosedLoopLoad.median(ratios), OrchestrationBenchmark.rounded(ratios));
  }
}
