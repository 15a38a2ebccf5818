package io.inferbus.loadtest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * <p>Usage: RateLimitBenchmark [path/to/inferbus.jar] [seconds per run] [clients]
 */
public final class RateLimitBenchmark {
  private static final String JOB = "{\"task\":\"noop\",\"input\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]}";
  private static final String CONF = "models:\n  - id: noop\n    task: noop\n    delay-ms: 0\n    sessions: 2\n";
  private static final Map<String, String> NEVER_REACHED = Map.of(
      "INFERBUS_RATE_LIMITS_ANONYMOUS_PER_MINUTE", "100000000", "INFERBUS_RATE_LIMITS_ANONYMOUS_BURST", "100000000");

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

    System.out.printf("noop jobs of 6 items, POST + SSE to the terminal event; %d s per run; logs in %s%n", seconds, logs);
    System.out.printf("%-18s %14s %14s %12s %12s%n", "", "1 client ms", "(p50 ms)", clients + " clients", "(p50 ms)");
    double baseMean = 0;
    double baseRate = 0;
    for (Map.Entry<String, Map<String, String>> setup : setups.entrySet()) {
      int port = ServiceProcess.freePort();
      Map<String, String> env = new LinkedHashMap<>(setup.getValue());
      env.put("INFERBUS_HTTP_PORT", String.valueOf(port));
      try (ServiceProcess node = ServiceProcess.start(jar, List.of("-conf", conf.toString()), env,
          logs.resolve(setup.getKey().replace(' ', '-') + ".log"))) {
        ServiceProcess.awaitReady(port);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest job = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/jobs"))
            .header("Content-Type", "application/json").header("Accept", "text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofString(JOB)).build();
        ClosedLoopLoad.Request runJob = (client, n) -> {
          HttpResponse<String> response = http.send(job, HttpResponse.BodyHandlers.ofString());
          if (response.statusCode() != 200 || !response.body().contains("event: succeeded")) {
            throw new IllegalStateException("job did not succeed: " + response.statusCode() + " " + response.body());
          }
        };
        ClosedLoopLoad.run(clients, 5, runJob);
        ClosedLoopLoad.Figures alone = ClosedLoopLoad.run(1, seconds, runJob);
        ClosedLoopLoad.Figures loaded = ClosedLoopLoad.run(clients, seconds, runJob);
        double mean = alone.seconds() * 1000 / alone.requests();
        System.out.printf("%-18s %14.3f %14.3f %10.0f/s %12.2f%n", setup.getKey(), mean, alone.p50(), loaded.perSecond(), loaded.p50());
        if (baseMean == 0) {
          baseMean = mean;
          baseRate = loaded.perSecond();
        } else {
          System.out.printf("  %s vs no limits: %+.0f µs per job alone; %.3f of the jobs/s under load%n", setup.getKey(),
              (mean - baseMean) * 1000, loaded.perSecond() / baseRate);
        }
      }
    }
  }
}
