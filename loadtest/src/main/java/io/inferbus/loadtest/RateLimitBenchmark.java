package io.inferbus.loadtest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What a rate-limit check costs per job: noop jobs (POST + SSE to the terminal event) with no limits,
 * with per-node token buckets, and with the shared token buckets in Redis (one Lua call per job,
 * 127.0.0.1:6379). The limits are set far above the load, so every job is checked and none refused.
 * One client alone shows the latency each check adds; many clients show the throughput.
 *
 * <p>Usage: RateLimitBenchmark [path/to/inferbus.jar] [seconds per measurement] [clients]
 */
public final class RateLimitBenchmark {
  private static final String JOB = "{\"task\":\"noop\",\"input\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]}";
  private static final String CONF = "models:\n  - id: noop\n    task: noop\n    delay-ms: 0\n    sessions: 2\n";
  private static final Map<String, String> NEVER_REACHED = Map.of(
      "INFERBUS_RATE_LIMITS_ANONYMOUS_PER_MINUTE", "100000000", "INFERBUS_RATE_LIMITS_ANONYMOUS_BURST", "100000000");

  private static final int ROUNDS = 5;
  private static final int WARM_UP_SECONDS = 20;

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args.length > 0 ? args[0] : "verticles/target/inferbus.jar").toAbsolutePath();
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    int clients = args.length > 2 ? Integer.parseInt(args[2]) : 32;
    Path logs = Files.createTempDirectory("inferbus-ratelimit-bench");
    Path conf = logs.resolve("noop.yaml");
    Files.writeString(conf, CONF);

    Map<String, Map<String, String>> setups = new LinkedHashMap<>();
    setups.put("no limits", Map.of("INFERBUS_RATE_LIMITS_ANONYMOUS_PER_MINUTE", "0"));
    setups.put("per-node buckets", NEVER_REACHED);
    Map<String, String> redis = new LinkedHashMap<>(NEVER_REACHED);
    redis.put("INFERBUS_REDIS_URL", "redis://127.0.0.1:6379");
    redis.put("INFERBUS_REDIS_KEY_PREFIX", "inferbus-bench-" + UUID.randomUUID() + ":");
    setups.put("Redis buckets", redis);

    System.out.printf("noop jobs of 6 items, POST + SSE to the terminal event; the three services run side by side and are"
        + " measured in turn, %d rounds of %d s each; medians; logs in %s%n", ROUNDS, seconds, logs);
    List<String> names = new ArrayList<>(setups.keySet());
    List<ServiceProcess> nodes = new ArrayList<>();
    List<ClosedLoopLoad.Request> jobs = new ArrayList<>();
    Map<String, List<Double>> aloneMillis = new LinkedHashMap<>();
    Map<String, List<Double>> loadedRates = new LinkedHashMap<>();
    try {
      for (String name : names) {
        int port = ServiceProcess.freePort();
        Map<String, String> env = new LinkedHashMap<>(setups.get(name));
        env.put("INFERBUS_HTTP_PORT", String.valueOf(port));
        nodes.add(ServiceProcess.start(jar, List.of("-conf", conf.toString()), env, logs.resolve(name.replace(' ', '-') + ".log")));
        ServiceProcess.awaitReady(port);
        jobs.add(noopJob(port));
        aloneMillis.put(name, new ArrayList<>());
        loadedRates.put(name, new ArrayList<>());
      }
      for (ClosedLoopLoad.Request job : jobs) {
        ClosedLoopLoad.run(clients, WARM_UP_SECONDS, job);
        ClosedLoopLoad.run(1, WARM_UP_SECONDS / 4, job);
      }
      for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < names.size(); i++) {
          ClosedLoopLoad.Figures alone = ClosedLoopLoad.run(1, seconds, jobs.get(i));
          aloneMillis.get(names.get(i)).add(alone.seconds() * 1000 / alone.requests());
          loadedRates.get(names.get(i)).add(ClosedLoopLoad.run(clients, seconds, jobs.get(i)).perSecond());
        }
      }
    } finally {
      for (ServiceProcess node : nodes) {
        node.close();
      }
    }

    System.out.printf("%-18s %22s %22s%n", "", "1 client: ms per job", clients + " clients: jobs/s");
    double baseMillis = ClosedLoopLoad.median(aloneMillis.get(names.get(0)));
    double baseRate = ClosedLoopLoad.median(loadedRates.get(names.get(0)));
    for (String name : names) {
      double millis = ClosedLoopLoad.median(aloneMillis.get(name));
      double rate = ClosedLoopLoad.median(loadedRates.get(name));
      System.out.printf("%-18s %22.3f %22.0f%s%n", name, millis, rate, name.equals(names.get(0)) ? ""
          : String.format("   vs no limits: %+.0f µs per job alone, %.3f of the jobs/s", (millis - baseMillis) * 1000, rate / baseRate));
    }
    for (String name : names) {
      System.out.printf("  rounds, %s: %s ms; %s jobs/s%n", name, rounded(aloneMillis.get(name), 3), rounded(loadedRates.get(name), 0));
    }
  }

  private static ClosedLoopLoad.Request noopJob(int port) {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest job = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/jobs"))
        .header("Content-Type", "application/json").header("Accept", "text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(JOB)).build();
    return (client, n) -> {
      HttpResponse<String> response = http.send(job, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200 || !response.body().contains("event: succeeded")) {
        throw new IllegalStateException("job did not succeed: " + response.statusCode() + " " + response.body());
      }
    };
  }

  private static String rounded(List<Double> values, int decimals) {
    return values.stream().map(v -> String.format("%." + decimals + "f", v)).toList().toString();
  }

}
