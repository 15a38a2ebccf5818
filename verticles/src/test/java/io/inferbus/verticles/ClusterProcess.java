package io.inferbus.verticles;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The fat jar as a real JVM process, clustered on loopback; ready when its own log says so. */
final class ClusterProcess implements AutoCloseable {
  private static final Pattern READY = Pattern.compile("inferbus ready .*\\(node ([a-z0-9-]+),");
  private static final Pattern MANAGEMENT = Pattern.compile("management \\(/health, /metrics\\) on http://[0-9.]+:([0-9]+)");

  final String name;
  final Process process;
  final int httpPort;
  private final CompletableFuture<String> ready = new CompletableFuture<>();
  private final CompletableFuture<Integer> managementPort = new CompletableFuture<>();
  private final Path log;

  private ClusterProcess(String name, Process process, int httpPort, Path log) {
    this.name = name;
    this.process = process;
    this.httpPort = httpPort;
    this.log = log;
  }

  /** Test settings: small Hazelcast timeouts, one ONNX session per worker, frequent orphan sweeps. */
  static ClusterProcess start(String name, String role, int clusterBasePort, Map<String, String> extraEnv) throws IOException {
    Path jar = Path.of(System.getProperty("inferbus.jar", "target/inferbus.jar"));
    Path log = Path.of("target", "cluster-logs", name + ".log");
    Files.createDirectories(log.getParent());
    int httpPort = role.equals("worker") ? -1 : freePort();
    Path conf = Path.of("target", "test-classes", "cluster-test.yaml");
    ProcessBuilder builder = new ProcessBuilder("java", "-Xmx512m", "-jar", jar.toString(), "--cluster", "--role", role,
        "--conf", conf.toString()).redirectErrorStream(true);
    Map<String, String> env = new HashMap<>(Map.of(
        "INFERBUS_CLUSTER_PORT", String.valueOf(clusterBasePort),
        "INFERBUS_CLUSTER_MEMBERS", "127.0.0.1:" + clusterBasePort + "-" + (clusterBasePort + 9),
        "INFERBUS_CLUSTER_HEARTBEAT_TIMEOUT_SECONDS", "15", // killed members are seen at once (sockets close); this only bounds hung ones, and 5 s let a start-up stall on 2 cores split the cluster
        "INFERBUS_MANAGEMENT_PORT", "0",
        "INFERBUS_DISPATCH_ORPHAN_SWEEP_SECONDS", "1",
        "INFERBUS_DRAIN_TIMEOUT_SECONDS", "20",
        "OPT_OUT_TRACKING", "true"));
    if (httpPort > 0) {
      env.put("INFERBUS_HTTP_PORT", String.valueOf(httpPort));
    }
    env.putAll(TestNode.OPEN_ACCESS_NO_CACHE);
    env.putAll(extraEnv);
    builder.environment().putAll(env);
    ClusterProcess node = new ClusterProcess(name, builder.start(), httpPort, log);
    node.pumpOutput();
    return node;
  }

  private void pumpOutput() {
    Thread pump = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
           PrintWriter out = new PrintWriter(Files.newBufferedWriter(log))) {
        String line;
        while ((line = in.readLine()) != null) {
          out.println(line);
          out.flush();
          Matcher m = READY.matcher(line);
          if (m.find()) {
            ready.complete(m.group(1));
          }
          Matcher management = MANAGEMENT.matcher(line);
          if (management.find()) {
            managementPort.complete(Integer.parseInt(management.group(1)));
          }
        }
      } catch (IOException e) {
        ready.completeExceptionally(e);
      }
      ready.completeExceptionally(new IllegalStateException(name + " exited before it was ready; see " + log));
    }, "log-" + name);
    pump.setDaemon(true);
    pump.start();
  }

  /** Waits for the node's "ready" line; answers its node id. */
  String awaitReady(Duration timeout) {
    try {
      return ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError(name + " not ready within " + timeout + "; see " + log, e);
    }
  }

  /** A worker's /health and /metrics port. */
  int managementPort() {
    awaitReady(Duration.ofSeconds(60));
    return managementPort.getNow(-1);
  }

  String nodeId() {
    return awaitReady(Duration.ofSeconds(60));
  }

  /** kill -9. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** SIGTERM, then wait for the graceful exit. */
  int terminate(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(name + " did not exit within " + timeout + " of SIGTERM; see " + log);
    }
    return process.exitValue();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
