package io.inferbus.loadtest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Job round trip (POST with Accept: text/event-stream, read to the terminal event) for one short
 * sentence, where orchestration dominates: one JVM (--role all, local event bus) next to a cluster
 * of two JVMs (--role api + --role worker over Hazelcast), measured in one run.
 *
 * <p>Usage: RoundTripBenchmark [path/to/inferbus.jar] [sequential jobs] [concurrent clients] [jobs per client]
 */
public final class RoundTripBenchmark {
  private static final String BODY = "{\"task\":\"embed\",\"input\":\"A quick brown fox jumps over the lazy dog near the river.\"}";

  record Figures(double p50, double p95, double p99, double mean, double jobsPerSecond) {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args.length > 0 ? args[0] : "verticles/target/inferbus.jar").toAbsolutePath();
    int sequential = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    int clients = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    int perClient = args.length > 3 ? Integer.parseInt(args[3]) : 100;
    Path logs = Files.createTempDirectory("inferbus-roundtrip");

    Figures local;
    int port = ServiceProcess.freePort();
    try (ServiceProcess node = ServiceProcess.start(jar, List.of(), Map.of("INFERBUS_HTTP_PORT", String.valueOf(port)), logs.resolve("all.log"))) {
      ServiceProcess.awaitReady(port);
      local = measure(port, sequential, clients, perClient);
    }

    Figures clustered;
    int apiPort = ServiceProcess.freePort();
    Map<String, String> cluster = Map.of("INFERBUS_CLUSTER_PORT", "31000", "INFERBUS_CLUSTER_MEMBERS", "127.0.0.1:31000-31009");
    try (ServiceProcess api = ServiceProcess.start(jar, List.of("--cluster", "--role", "api"),
            with(cluster, "INFERBUS_HTTP_PORT", String.valueOf(apiPort)), logs.resolve("api.log"));
         ServiceProcess worker = ServiceProcess.start(jar, List.of("--cluster", "--role", "worker"),
            with(cluster, "INFERBUS_MANAGEMENT_PORT", "0"), logs.resolve("worker.log"))) {
      ServiceProcess.awaitReady(apiPort);
      clustered = measure(apiPort, sequential, clients, perClient);
    }

    System.out.printf("one-sentence embed job, POST + SSE to the terminal event (logs in %s)%n", logs);
    System.out.printf("%-34s %8s %8s %8s %8s %10s%n", "", "p50 ms", "p95 ms", "p99 ms", "mean ms", "jobs/s");
    print("in-process (--role all)", local);
    print("clustered (api JVM + worker JVM)", clustered);
    System.out.printf("clustered - in-process, p50: %+.2f ms; mean: %+.2f ms; throughput ratio clustered/in-process: %.3f%n",
        clustered.p50 - local.p50, clustered.mean - local.mean, clustered.jobsPerSecond / local.jobsPerSecond);
  }

  private static Map<String, String> with(Map<String, String> base, String key, String value) {
    java.util.HashMap<String, String> env = new java.util.HashMap<>(base);
    env.put(key, value);
    return env;
  }

  private static void print(String name, Figures f) {
    System.out.printf("%-34s %8.2f %8.2f %8.2f %8.2f %10.1f%n", name, f.p50, f.p95, f.p99, f.mean, f.jobsPerSecond);
  }

  /** Latencies from one client in sequence (after a warm-up), throughput from several clients at once. */
  private static Figures measure(int port, int sequential, int clients, int perClient) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    for (int i = 0; i < 200; i++) {
      roundTrip(http, port);
    }
    double[] millis = new double[sequential];
    for (int i = 0; i < sequential; i++) {
      millis[i] = roundTrip(http, port);
    }
    Arrays.sort(millis);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long began = System.nanoTime();
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      running.add(pool.submit(() -> {
        for (int i = 0; i < perClient; i++) {
          roundTrip(http, port);
        }
        return null;
      }));
    }
    for (Future<?> f : running) {
      f.get();
    }
    double seconds = (System.nanoTime() - began) / 1e9;
    pool.shutdown();
    return new Figures(at(millis, 0.50), at(millis, 0.95), at(millis, 0.99), Arrays.stream(millis).average().orElse(0),
        clients * perClient / seconds);
  }

  private static double at(double[] sorted, double quantile) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)];
  }

  private static double roundTrip(HttpClient http, int port) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/jobs"))
        .header("Content-Type", "application/json")
        .header("Accept", "text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(BODY))
        .build();
    long began = System.nanoTime();
    String body = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
    double millis = (System.nanoTime() - began) / 1e6;
    if (!body.contains("event: succeeded")) {
      throw new IllegalStateException("job did not succeed: " + body);
    }
    return millis;
  }
}
