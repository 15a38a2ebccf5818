package io.inferbus.loadtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a simulation runs against, started before it and stopped after it: the fat jar as one
 * node, or a cluster of one API node and workers on loopback. Simulations read their size from
 * system properties, so the same class serves a full run and CI's 10-second smoke ({@code -Dsmoke=true}).
 */
final class Harness implements AutoCloseable {
  static final boolean SMOKE = Boolean.getBoolean("smoke");

  private final List<ServiceProcess> workers;
  private final List<ServiceProcess> all;
  final String baseUrl;
  final Path logs;

  private Harness(String baseUrl, List<ServiceProcess> all, List<ServiceProcess> workers, Path logs) {
    this.baseUrl = baseUrl;
    this.all = all;
    this.workers = workers;
    this.logs = logs;
  }

  /** One node serving the API and the models, with these settings (YAML) laid over the packaged ones. */
  static Harness single(String conf, Map<String, String> env) {
    try {
      Path logs = Files.createTempDirectory("inferbus-gatling");
      int port = ServiceProcess.freePort();
      Map<String, String> settings = withLogLevel(env);
      settings.put("INFERBUS_HTTP_PORT", String.valueOf(port));
      ServiceProcess node = ServiceProcess.start(jar(), confArgs(conf, logs), settings, logs.resolve("node.log"));
      ServiceProcess.awaitReady(port);
      System.out.printf("harness: one node on http://127.0.0.1:%d, ready in %d ms (log %s)%n", port, node.startupToReady.toMillis(), logs);
      return new Harness("http://127.0.0.1:" + port, List.of(node), List.of(), logs);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** One API node and {@code workerCount} workers, started one after another (they share 2 cores), ready when every model has a worker. */
  static Harness cluster(int workerCount, Map<String, String> env) {
    List<ServiceProcess> started = new ArrayList<>();
    try {
      Path logs = Files.createTempDirectory("inferbus-gatling-cluster");
      int hazelcastPort = 33000 + (int) (ProcessHandle.current().pid() % 500) * 10;
      Map<String, String> cluster = withLogLevel(env);
      cluster.put("INFERBUS_CLUSTER_PORT", String.valueOf(hazelcastPort));
      cluster.put("INFERBUS_CLUSTER_MEMBERS", "127.0.0.1:" + hazelcastPort + "-" + (hazelcastPort + 9));
      cluster.put("INFERBUS_CLUSTER_HEARTBEAT_TIMEOUT_SECONDS", "10");
      int apiPort = ServiceProcess.freePort();
      Map<String, String> api = new HashMap<>(cluster);
      api.put("INFERBUS_HTTP_PORT", String.valueOf(apiPort));
      started.add(ServiceProcess.start(jar(), List.of("--cluster", "--role", "api"), api, logs.resolve("api.log")));
      List<ServiceProcess> workers = new ArrayList<>();
      for (int i = 1; i <= workerCount; i++) {
        Map<String, String> worker = new HashMap<>(cluster);
        worker.put("INFERBUS_MANAGEMENT_PORT", "0");
        ServiceProcess process = ServiceProcess.start(jar(), List.of("--cluster", "--role", "worker"), worker, logs.resolve("worker" + i + ".log"));
        started.add(process);
        workers.add(process);
      }
      ServiceProcess.awaitReady(apiPort);
      System.out.printf("harness: API node on http://127.0.0.1:%d and %d workers, ready (logs %s)%n", apiPort, workerCount, logs);
      return new Harness("http://127.0.0.1:" + apiPort, List.copyOf(started), workers, logs);
    } catch (IOException | InterruptedException | RuntimeException e) {
      started.forEach(Harness::stopQuietly);
      throw new IllegalStateException("the cluster did not start: " + e.getMessage(), e);
    }
  }

  /** The API node's /metrics lines that start with {@code prefix}: the service's own view of the run. */
  List<String> metrics(String prefix) {
    try {
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      String text = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(baseUrl + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      return text.lines().filter(line -> line.startsWith(prefix)).toList();
    } catch (IOException e) {
      return List.of("(metrics not read: " + e.getMessage() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
  }

  /** SIGKILL: the worker gets no chance to hand anything back. */
  void killWorker(int index) {
    workers.get(index).kill();
  }

  /** The simulation's length: {@code seconds} in a full run, 10 s in a smoke run. */
  static Duration length(int seconds) {
    return Duration.ofSeconds(SMOKE ? 10 : seconds);
  }

  /** The simulation's concurrency: {@code full} in a full run, {@code smoke} in a smoke run. */
  static int users(int full, int smoke) {
    return SMOKE ? smoke : full;
  }

  @Override
  public void close() {
    all.forEach(Harness::stopQuietly);
  }

  private static void stopQuietly(ServiceProcess process) {
    try {
      process.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Map<String, String> withLogLevel(Map<String, String> env) {
    Map<String, String> settings = new HashMap<>(env);
    settings.put("INFERBUS_LOG_LEVEL", System.getProperty("inferbus.log.level", "info"));
    return settings;
  }

  private static Path jar() {
    Path jar = Path.of(System.getProperty("inferbus.jar", "../verticles/target/inferbus.jar")).toAbsolutePath().normalize();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: build it first (mvn -B -q package -DskipTests from the repo root)");
    }
    return jar;
  }

  private static List<String> confArgs(String conf, Path logs) throws IOException {
    if (conf == null || conf.isBlank()) {
      return List.of();
    }
    Path file = logs.resolve("simulation.yaml");
    Files.writeString(file, conf);
    return List.of("--conf", file.toString());
  }
}
