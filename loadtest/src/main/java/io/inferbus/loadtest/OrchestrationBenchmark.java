package io.inferbus.loadtest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The orchestration alone: noop jobs of 6 items (no delay), each submitted with
 * Accept: text/event-stream and read to its terminal event, by N concurrent clients for a fixed
 * time; jobs/s and latency percentiles of a bare Vert.x pipeline ({@link BarePipeline}, the
 * yardstick), of one JVM, and of a two-JVM cluster (API apart from worker), in one run. Each ratio
 * compares two measurements taken one right after the other, turn after turn, and is the median over
 * the turns: the one JVM against the bare pipeline, then the cluster against the one JVM.
 *
 * <p>Usage: OrchestrationBenchmark [path/to/inferbus.jar] [clients] [seconds per measurement] [turns]
 */
public final class OrchestrationBenchmark {
  private static final String JOB = "{\"task\":\"noop\",\"input\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]}";
  static final String CONF = "models:\n  - id: noop\n    task: noop\n    delay-ms: 0\n    sessions: 2\n";
  /**
   * Load before each measurement. The service's path is long, and 5 s left the JIT at work: the same
   * afternoon, in-process measured 1,455-1,962 jobs/s after 5 s of load and 2,443-3,369 after 20 s. After
   * 20 s the cluster still sped up turn after turn (414, 606, 849 jobs/s on 2026-12-01), and so did the
   * bare pipeline (8.1k, 8.8k, 10.0k). So the cluster, started after the one JVM's turns, gets as much
   * load before its first measurement as the one JVM had before the measurements it is compared with.
   */
  static final int WARM_UP_SECONDS = 30;

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args.length > 0 ? args[0] : "verticles/target/inferbus.jar").toAbsolutePath();
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    int turns = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    Path logs = Files.createTempDirectory("inferbus-orchestration");
    Path conf = logs.resolve("noop.yaml");
    Files.writeString(conf, CONF);
    System.out.printf("noop jobs of 6 items, POST + SSE to the terminal event, %d clients, %d s per measurement, %d turns (logs in %s)%n",
        clients, seconds, turns, logs);
    printColumns();

    List<ClosedLoopLoad.Figures> bare = new ArrayList<>();
    List<ClosedLoopLoad.Figures> local = new ArrayList<>();
    List<ClosedLoopLoad.Figures> localBesideCluster = new ArrayList<>();
    List<ClosedLoopLoad.Figures> clustered = new ArrayList<>();
    int barePort = ServiceProcess.freePort();
    int port = ServiceProcess.freePort();
    try (ServiceProcess pipeline = ServiceProcess.startBarePipeline(jar, barePort, logs.resolve("bare.log"));
         ServiceProcess node = ServiceProcess.start(jar, List.of("-conf", conf.toString()),
             Map.of("INFERBUS_HTTP_PORT", String.valueOf(port)), logs.resolve("all.log"))) {
      ServiceProcess.awaitReady(port);
      load(barePort, clients, WARM_UP_SECONDS);
      load(port, clients, WARM_UP_SECONDS);
      // In turns, the idle one waiting: the machine's speed drifts by 10-30 % within minutes.
      for (int turn = 1; turn <= turns; turn++) {
        bare.add(measured("bare Vert.x pipeline (BarePipeline) " + turn, load(barePort, clients, seconds)));
        local.add(measured("in-process (--role all) " + turn, load(port, clients, seconds)));
      }

      int apiPort = ServiceProcess.freePort();
      Map<String, String> cluster = Map.of("INFERBUS_CLUSTER_PORT", "32000", "INFERBUS_CLUSTER_MEMBERS", "127.0.0.1:32000-32009");
      try (ServiceProcess api = ServiceProcess.start(jar, List.of("--cluster", "--role", "api", "-conf", conf.toString()),
              with(cluster, "INFERBUS_HTTP_PORT", String.valueOf(apiPort)), logs.resolve("api.log"));
           ServiceProcess worker = ServiceProcess.start(jar, List.of("--cluster", "--role", "worker", "-conf", conf.toString()),
              with(cluster, "INFERBUS_MANAGEMENT_PORT", "0"), logs.resolve("worker.log"))) {
        ServiceProcess.awaitReady(apiPort);
        load(apiPort, clients, WARM_UP_SECONDS + turns * seconds);
        for (int turn = 1; turn <= turns; turn++) {
          clustered.add(measured("clustered (api JVM + worker JVM) " + turn, load(apiPort, clients, seconds)));
          localBesideCluster.add(measured("in-process (--role all) " + (turns + turn), load(port, clients, seconds)));
        }
      }
    }

    List<Double> inProcessToBare = ratios(local, bare, ClosedLoopLoad.Figures::perSecond);
    List<Double> clusteredToInProcess = ratios(clustered, localBesideCluster, ClosedLoopLoad.Figures::perSecond);
    List<Double> p99s = ratios(clustered, localBesideCluster, ClosedLoopLoad.Figures::p99);
    System.out.printf("in-process / bare pipeline jobs/s: %.3f (median of %s; goal at least 0.7)%n",
        ClosedLoopLoad.median(inProcessToBare), rounded(inProcessToBare));
    System.out.printf("clustered / in-process jobs/s: %.3f (median of %s; goal at least 0.5)%n",
        ClosedLoopLoad.median(clusteredToInProcess), rounded(clusteredToInProcess));
    System.out.printf("clustered p99 / in-process p99: %.2f (median of %s; goal at most 3)%n", ClosedLoopLoad.median(p99s), rounded(p99s));
  }

  /** Each turn's ratio: the two were measured one right after the other. */
  static List<Double> ratios(List<ClosedLoopLoad.Figures> of, List<ClosedLoopLoad.Figures> to,
      ToDoubleFunction<ClosedLoopLoad.Figures> figure) {
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < of.size(); i++) {
      ratios.add(figure.applyAsDouble(of.get(i)) / figure.applyAsDouble(to.get(i)));
    }
    return ratios;
  }

  static List<String> rounded(List<Double> values) {
    return values.stream().map(v -> String.format("%.2f", v)).toList();
  }

  static ClosedLoopLoad.Figures measured(String name, ClosedLoopLoad.Figures figures) {
    print(name, figures);
    return figures;
  }

  private static Map<String, String> with(Map<String, String> base, String key, String value) {
    Map<String, String> env = new HashMap<>(base);
    env.put(key, value);
    return env;
  }

  static void printColumns() {
    System.out.printf("%-40s %9s %8s %8s %8s %8s%n", "", "jobs", "jobs/s", "p50 ms", "p95 ms", "p99 ms");
  }

  private static void print(String name, ClosedLoopLoad.Figures f) {
    System.out.printf("%-40s %9d %8.1f %8.2f %8.2f %8.2f%n", name, f.requests(), f.perSecond(), f.p50(), f.p95(), f.p99());
  }

  /** Every client sends jobs one after the other until the time is up; latency is POST to terminal event. */
  static ClosedLoopLoad.Figures load(int port, int clients, int seconds) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/jobs"))
        .header("Content-Type", "application/json").header("Accept", "text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(JOB)).build();
    return ClosedLoopLoad.run(clients, seconds, (client, n) -> {
      String events = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
      if (!events.contains("event: succeeded")) {
        throw new IllegalStateException("job did not succeed: " + events);
      }
    });
  }

  static double at(List<Double> sorted, double quantile) {
    return ClosedLoopLoad.at(sorted, quantile);
  }
}
