package io.inferbus.loadtest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The orchestration alone: noop jobs of 6 items (no delay), each submitted with
 * Accept: text/event-stream and read to its terminal event, by N concurrent clients for a fixed
 * time; jobs/s and latency percentiles of a bare Vert.x pipeline ({@link BarePipeline}, the
 * yardstick), of one JVM, and of a two-JVM cluster (API apart from worker), in one run.
 *
 * <p>Usage: OrchestrationBenchmark [path/to/inferbus.jar] [clients] [seconds]
 */
public final class OrchestrationBenchmark {
  private static final String JOB = "{\"task\":\"noop\",\"input\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]}";
  static final String CONF = "models:\n  - id: noop\n    task: noop\n    delay-ms: 0\n    sessions: 2\n";
  /**
   * Load before each measurement. The service's path is long, and 5 s left the JIT at work: the same
   * afternoon, in-process measured 1,455-1,962 jobs/s after 5 s of load and 2,443-3,369 after 20 s.
   */
  static final int WARM_UP_SECONDS = 20;

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args.length > 0 ? args[0] : "verticles/target/inferbus.jar").toAbsolutePath();
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    Path logs = Files.createTempDirectory("inferbus-orchestration");
    Path conf = logs.resolve("noop.yaml");
    Files.writeString(conf, CONF);

    ClosedLoopLoad.Figures bare;
    int barePort = ServiceProcess.freePort();
    try (ServiceProcess pipeline = ServiceProcess.startBarePipeline(jar, barePort, logs.resolve("bare.log"))) {
      load(barePort, clients, WARM_UP_SECONDS);
      bare = load(barePort, clients, seconds);
    }

    ClosedLoopLoad.Figures local;
    int port = ServiceProcess.freePort();
    try (ServiceProcess node = ServiceProcess.start(jar, List.of("-conf", conf.toString()),
        Map.of("INFERBUS_HTTP_PORT", String.valueOf(port)), logs.resolve("all.log"))) {
      ServiceProcess.awaitReady(port);
      load(port, clients, WARM_UP_SECONDS);
      local = load(port, clients, seconds);
    }

    ClosedLoopLoad.Figures clustered;
    int apiPort = ServiceProcess.freePort();
    Map<String, String> cluster = Map.of("INFERBUS_CLUSTER_PORT", "32000", "INFERBUS_CLUSTER_MEMBERS", "127.0.0.1:32000-32009");
    try (ServiceProcess api = ServiceProcess.start(jar, List.of("--cluster", "--role", "api", "-conf", conf.toString()),
            with(cluster, "INFERBUS_HTTP_PORT", String.valueOf(apiPort)), logs.resolve("api.log"));
         ServiceProcess worker = ServiceProcess.start(jar, List.of("--cluster", "--role", "worker", "-conf", conf.toString()),
            with(cluster, "INFERBUS_MANAGEMENT_PORT", "0"), logs.resolve("worker.log"))) {
      ServiceProcess.awaitReady(apiPort);
      load(apiPort, clients, WARM_UP_SECONDS);
      clustered = load(apiPort, clients, seconds);
    }

    System.out.printf("noop jobs of 6 items, POST + SSE to the terminal event, %d clients for %d s (logs in %s)%n", clients, seconds, logs);
    System.out.printf("%-34s %9s %8s %8s %8s %8s%n", "", "jobs", "jobs/s", "p50 ms", "p95 ms", "p99 ms");
    print("bare Vert.x pipeline (BarePipeline)", bare);
    print("in-process (--role all)", local);
    print("clustered (api JVM + worker JVM)", clustered);
    System.out.printf("in-process / bare pipeline jobs/s: %.3f (goal at least 0.7)%n", local.perSecond() / bare.perSecond());
    System.out.printf("clustered / in-process jobs/s: %.3f (goal at least 0.5)%n", clustered.perSecond() / local.perSecond());
    System.out.printf("clustered p99 / in-process p99: %.2f (goal at most 3)%n", clustered.p99() / local.p99());
  }

  private static Map<String, String> with(Map<String, String> base, String key, String value) {
    Map<String, String> env = new HashMap<>(base);
    env.put(key, value);
    return env;
  }

  private static void print(String name, ClosedLoopLoad.Figures f) {
    System.out.printf("%-34s %9d %8.1f %8.2f %8.2f %8.2f%n", name, f.requests(), f.perSecond(), f.p50(), f.p95(), f.p99());
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
