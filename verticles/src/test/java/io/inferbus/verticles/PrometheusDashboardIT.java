package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * grafana/ and docker/prometheus/ against the real thing: Debian's Prometheus scrapes a live cluster
 * (1 API node + 2 workers, Redis) under a mixed load (successes of all three tasks, a cancel, 4xx
 * answers, a 429 from a tier limit, a refused bridge frame, a worker killed mid-load), then every
 * panel's PromQL of every dashboard, with the dashboard variables substituted, must return data
 * through Prometheus's HTTP API. A panel naming a meter or label that does not exist fails here.
 * The alert rules are loaded into the same Prometheus (all must evaluate cleanly, and the killed
 * worker must set InferbusNodeDown pending) and pass promtool's own checks and unit tests.
 */
@Tag("full")
class PrometheusDashboardIT {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final Path DASHBOARDS = REPO.resolve("grafana/dashboards");
  private static final Path ALERTS = REPO.resolve("docker/prometheus/alerts.yml");
  private static final Duration START = Duration.ofSeconds(90);
  private static final String FREE_TIER_KEY = "ib-test-free-tier-key";
  private static final Set<String> MODELS = Set.of("all-minilm-l6-v2", "ru-latn-cyrl", "noop");

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void alertRulesPassPromtoolChecksAndUnitTests() throws Exception {
    String check = run(List.of("promtool", "check", "rules", ALERTS.toString()), ALERTS.getParent());
    assertTrue(check.contains("SUCCESS: 8 rules found"), check);
    String tests = run(List.of("promtool", "test", "rules", "alerts.test.yml"), ALERTS.getParent());
    assertTrue(tests.contains("SUCCESS"), tests);
  }

  @Test
  void dashboardsAreProvisionableAsFiles() throws Exception {
    List<Path> files = dashboardFiles();
    assertEquals(List.of("cache-limits.json", "jvm-eventbus.json", "overview.json", "queues-workers.json"),
        files.stream().map(f -> f.getFileName().toString()).sorted().toList());
    Set<String> uids = new TreeSet<>();
    for (Path file : files) {
      JsonObject dashboard = new JsonObject(Files.readString(file));
      assertFalse(dashboard.containsKey("__inputs"), file + ": file provisioning cannot resolve __inputs");
      uids.add(dashboard.getString("uid"));
      JsonArray variables = dashboard.getJsonObject("templating").getJsonArray("list");
      assertEquals("datasource", variables.getJsonObject(0).getString("type"), file.toString());
      assertEquals("prometheus", variables.getJsonObject(0).getString("query"), file.toString());
      assertEquals("model", variables.getJsonObject(1).getString("name"), file.toString());
      for (Object p : dashboard.getJsonArray("panels")) {
        JsonObject panel = (JsonObject) p;
        assertEquals("${datasource}", panel.getJsonObject("datasource").getString("uid"), panel.getString("title"));
        assertFalse(panel.getJsonArray("targets").isEmpty(), panel.getString("title"));
      }
    }
    assertEquals(4, uids.size(), "distinct uids " + uids);
    String datasource = Files.readString(REPO.resolve("grafana/provisioning/datasources/prometheus.yml"));
    assertTrue(datasource.contains("uid: inferbus-prometheus"), datasource);
    assertTrue(Files.readString(REPO.resolve("grafana/provisioning/dashboards/inferbus.yml")).contains("path: /var/lib/grafana/dashboards"));
  }

  @Test
  void everyPanelReturnsDataFromPrometheusScrapingALoadedCluster(@TempDir Path dir) throws Exception {
    int clusterPort = 29000 + new Random().nextInt(90) * 10;
    List<AutoCloseable> resources = new ArrayList<>();
    try (RedisServer redis = RedisServer.start()) {
      Map<String, String> env = new LinkedHashMap<>(Map.of(
          "INFERBUS_REDIS_URL", redis.url(),
          "INFERBUS_CACHE_ENABLED", "true",
          "INFERBUS_AUTH_KEYS_0_NAME", "team-free",
          "INFERBUS_AUTH_KEYS_0_SHA256", sha256(FREE_TIER_KEY),
          "INFERBUS_AUTH_KEYS_0_TIER", "free",
          "INFERBUS_AUTH_KEYS_0_MAX_PRIORITY", "high",
          "INFERBUS_RATE_LIMITS_TIERS_FREE_PER_MINUTE", "2",
          "INFERBUS_RATE_LIMITS_TIERS_FREE_BURST", "2",
          "INFERBUS_WORKER_BATCH_ITEMS", "8"));
      ClusterProcess api = ClusterProcess.start("prom-api", "api", clusterPort, env);
      resources.add(api);
      ClusterProcess worker1 = ClusterProcess.start("prom-worker-1", "worker", clusterPort, env);
      resources.add(worker1);
      ClusterProcess worker2 = ClusterProcess.start("prom-worker-2", "worker", clusterPort, env);
      resources.add(worker2);
      api.awaitReady(START);
      ApiClient client = new ApiClient(api.httpPort);
      resources.add(client);
      client.pollUntil("both workers to serve every model", START, () -> client.get("/v1/models").bodyAsJsonObject()
          .getJsonArray("data").stream().allMatch(m -> ((JsonObject) m).getJsonArray("workers").size() == 2));

      int prometheusPort = freePort();
      Process prometheus = startPrometheus(dir, prometheusPort, api.httpPort, worker1.managementPort(), worker2.managementPort());
      resources.add(() -> {
        prometheus.destroy();
        prometheus.waitFor(20, TimeUnit.SECONDS);
      });
      String base = "http://127.0.0.1:" + prometheusPort;
      client.pollUntil("Prometheus to be ready", START, () -> {
        assertTrue(prometheus.isAlive(), "prometheus exited; see target/cluster-logs/prometheus.log");
        return "success".equals(get(base + "/api/v1/status/buildinfo").getString("status"));
      });
      client.pollUntil("Prometheus to scrape all three nodes", START,
          () -> query(base, "sum(up{job=~\"inferbus-.*\"})").stream().anyMatch(r -> value(r) == 3));

      applyMixedLoad(client, worker2);
      client.pollUntil("Prometheus to see the killed worker down", START,
          () -> query(base, "up{job=\"inferbus-worker\"} == 0").size() == 1);

      java.util.concurrent.atomic.AtomicReference<Map<String, String>> empty = new java.util.concurrent.atomic.AtomicReference<>();
      try {
        client.pollUntil("every panel's query to return data", Duration.ofSeconds(60), () -> {
          empty.set(panelsWithoutData(base));
          return empty.get().isEmpty();
        });
      } catch (AssertionError timedOut) {
        throw new AssertionError("panels with no data: " + empty.get(), timedOut);
      }

      JsonObject models = get(base + "/api/v1/label/model/values?match[]=" + encode("inferbus_jobs_submitted_total"));
      assertTrue(models.getJsonArray("data").getList().containsAll(MODELS), "the model variable's values: " + models);
      client.pollUntil("InferbusNodeDown to be pending for the killed worker", Duration.ofSeconds(30),
          () -> !query(base, "ALERTS{alertname=\"InferbusNodeDown\", alertstate=\"pending\", job=\"inferbus-worker\"}").isEmpty());
      JsonArray groups = get(base + "/api/v1/rules").getJsonObject("data").getJsonArray("groups");
      List<String> unhealthy = groups.stream().flatMap(g -> ((JsonObject) g).getJsonArray("rules").stream())
          .map(JsonObject.class::cast).filter(r -> !"ok".equals(r.getString("health")))
          .map(r -> r.getString("name") + ": " + r.getString("lastError")).toList();
      assertEquals(8, groups.getJsonObject(0).getJsonArray("rules").size());
      assertTrue(unhealthy.isEmpty(), "alert rules that failed to evaluate: " + unhealthy);
    } finally {
      for (int i = resources.size() - 1; i >= 0; i--) {
        resources.get(i).close();
      }
    }
  }

  /**
   * Successes of every task (one repeated, for a cache hit), a cancel, 4xx answers, a 429 from the
   * free tier, a refused bridge frame, and a worker killed while 40 jobs are under way; all of
   * those jobs still succeed.
   */
  private static void applyMixedLoad(ApiClient client, ClusterProcess workerToKill) throws Exception {
    JsonObject embed = new JsonObject().put("model", "all-minilm-l6-v2").put("input", List.of("a cached sentence", "another"));
    for (int i = 0; i < 2; i++) {
      assertEquals(200, client.postJson("/v1/embeddings", embed).statusCode());
    }
    List<String> jobs = new ArrayList<>();
    for (String priority : List.of("low", "normal", "high")) {
      jobs.add(accepted(client, new JsonObject().put("task", "transliterate").put("model", "ru-latn-cyrl").put("priority", priority)
          .put("input", List.of("privet, kak dela?", "segodnya horoshaya pogoda"))));
      jobs.add(accepted(client, new JsonObject().put("task", "embed").put("model", "all-minilm-l6-v2").put("priority", priority)
          .put("input", Texts.sentences(12, priority.length()))));
    }
    String cancelled = accepted(client, noop(400, "low"));
    assertEquals(202, client.delete("/v1/jobs/" + cancelled).statusCode());

    JobApiTest.assertError(client.postJson("/v1/jobs", new JsonObject().put("task", "embed").put("model", "no-such-model").put("input", "x")),
        422, "unknown_model");
    JobApiTest.assertError(client.postJson("/v1/jobs", "{\"task\": \"embed\","), 400, "malformed_json");
    Map<String, String> freeTier = Map.of("Authorization", "Bearer " + FREE_TIER_KEY);
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      statuses.add(client.postJson("/v1/jobs", noop(1, "normal"), freeTier).statusCode());
    }
    assertEquals(List.of(202, 202, 429), statuses);
    try (BridgeClient bridge = new BridgeClient(client.port())) {
      bridge.send(new JsonObject().put("type", "send").put("address", "inferbus.jobs").put("body", new JsonObject()));
      bridge.await(Duration.ofSeconds(10), f -> "err".equals(f.getString("type")));
    }

    List<String> underWay = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      underWay.add(accepted(client, noop(100, i % 2 == 0 ? "normal" : "high").put("input", Texts.sentences(100, i))));
    }
    String expiring = accepted(client, noop(1, "low").put("input", "expires").put("deadline_ms", 300));
    client.pollUntil("the worker to be killed to hold noop jobs", Duration.ofSeconds(60),
        () -> workerMetric(workerToKill, "inferbus_worker_batches_running{model=\"noop\"}") > 0);
    workerToKill.kill();
    jobs.addAll(underWay);
    client.pollUntil("every job to end", Duration.ofSeconds(120),
        () -> jobs.stream().allMatch(id -> Set.of("succeeded", "failed", "cancelled", "expired").contains(status(client, id))));
    for (String id : jobs) {
      assertEquals("succeeded", status(client, id), id);
    }
    assertEquals("cancelled", status(client, cancelled));
    client.pollUntil("the job behind the backlog to expire", Duration.ofSeconds(60), () -> status(client, expiring).equals("expired"));
  }

  private static double workerMetric(ClusterProcess worker, String series) {
    try {
      HttpResponse<String> metrics = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.managementPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      return metrics.body().lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
          .findFirst().orElse(0);
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static JsonObject noop(int items, String priority) {
    return new JsonObject().put("task", "noop").put("model", "noop").put("priority", priority)
        .put("input", java.util.Collections.nCopies(items, "x"));
  }

  private static String accepted(ApiClient client, JsonObject job) {
    var response = client.postJson("/v1/jobs", job);
    assertEquals(202, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject().getString("id");
  }

  private static String status(ApiClient client, String id) {
    return client.get("/v1/jobs/" + id).bodyAsJsonObject().getString("status");
  }

  private Map<String, String> panelsWithoutData(String base) {
    Map<String, String> empty = new LinkedHashMap<>();
    panels().forEach((where, expr) -> {
      if (query(base, expr).isEmpty()) {
        empty.put(where, expr);
      }
    });
    return empty;
  }

  /** Every target of every panel as Grafana would send it: $model all, rate and range windows fixed. */
  private static Map<String, String> panels() {
    Map<String, String> exprs = new LinkedHashMap<>();
    for (Path file : dashboardFiles()) {
      JsonObject dashboard = new JsonObject(read(file));
      for (Object p : dashboard.getJsonArray("panels")) {
        JsonObject panel = (JsonObject) p;
        for (Object t : panel.getJsonArray("targets")) {
          JsonObject target = (JsonObject) t;
          String expr = target.getString("expr").replace("$model", ".*").replace("$__rate_interval", "1m").replace("$__range", "10m");
          assertFalse(expr.contains("$"), "a variable left in " + expr);
          exprs.put(file.getFileName() + " / " + panel.getString("title") + " / " + target.getString("refId"), expr);
        }
      }
    }
    return exprs;
  }

  private static List<Path> dashboardFiles() {
    try (Stream<Path> files = Files.list(DASHBOARDS)) {
      return files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static Process startPrometheus(Path dir, int port, int apiPort, int worker1Port, int worker2Port) throws IOException {
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files: ['%s']
        scrape_configs:
          - job_name: inferbus-api
            static_configs: [{targets: ['127.0.0.1:%d']}]
          - job_name: inferbus-worker
            static_configs: [{targets: ['127.0.0.1:%d', '127.0.0.1:%d']}]
        """.formatted(ALERTS, apiPort, worker1Port, worker2Port));
    Path log = Path.of("target", "cluster-logs", "prometheus.log");
    Files.createDirectories(log.getParent());
    return new ProcessBuilder("prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
        "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private List<JsonObject> query(String base, String expr) {
    JsonObject answer = get(base + "/api/v1/query?query=" + encode(expr));
    assertEquals("success", answer.getString("status"), expr + " -> " + answer);
    return answer.getJsonObject("data").getJsonArray("result").stream().map(JsonObject.class::cast).toList();
  }

  private static double value(JsonObject sample) {
    return Double.parseDouble(sample.getJsonArray("value").getString(1));
  }

  private JsonObject get(String url) {
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      return response.body().startsWith("{") ? new JsonObject(response.body())
          : new JsonObject().put("status", "http " + response.statusCode()).put("error", response.body());
    } catch (IOException e) {
      return new JsonObject().put("status", "unreachable").put("error", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static String run(List<String> command, Path dir) throws Exception {
    Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), output);
    return output;
  }

  private static String sha256(String key) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
