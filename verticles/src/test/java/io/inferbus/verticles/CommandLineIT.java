package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The fat jar's command line: what --help tells, and start-up refused with a message naming the bad setting. */
class CommandLineIT {
  private record Run(int exitCode, String output) {}

  private static Run run(Map<String, String> env, String... args) throws IOException, InterruptedException {
    Path jar = Path.of(System.getProperty("inferbus.jar", "target/inferbus.jar"));
    List<String> command = new java.util.ArrayList<>(List.of("java", "-jar", jar.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the process ended");
    return new Run(process.exitValue(), output);
  }

  @Test
  void helpListsTheOptionsAndRoles() throws Exception {
    Run help = run(Map.of(), "--help");
    assertEquals(0, help.exitCode());
    for (String option : List.of("--cluster", "--role", "api", "worker", "all", "--conf", "--profile", "INFERBUS_", "submit", "status",
        "watch", "cancel")) {
      assertTrue(help.output().contains(option), option + " in: " + help.output());
    }
  }

  @Test
  void aBadSettingStopsStartUpWithAMessageNamingItsKey() throws Exception {
    Run badPort = run(Map.of("INFERBUS_HTTP_PORT", "eighty"));
    assertEquals(2, badPort.exitCode());
    assertTrue(badPort.output().contains("http.port"), badPort.output());
    assertTrue(badPort.output().contains("eighty"), badPort.output());
    assertFalse(badPort.output().contains("Exception"), "a message, not a stack trace: " + badPort.output());

    Run badRole = run(Map.of(), "--role", "boss");
    assertEquals(2, badRole.exitCode());
    assertTrue(badRole.output().contains("--role needs api, worker or all"), badRole.output());
  }

  @Test
  void aTakenPortIsNamedWithTheSettingThatChoosesIt() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      String port = String.valueOf(taken.getLocalPort());
      Run api = run(Map.of("INFERBUS_HTTP_PORT", port));
      assertEquals(1, api.exitCode(), api.output());
      assertTrue(api.output().contains("127.0.0.1:" + port), api.output());
      assertTrue(api.output().contains("http.port / INFERBUS_HTTP_PORT"), api.output());

      Run worker = run(Map.of("INFERBUS_MANAGEMENT_PORT", port), "--role", "worker");
      assertEquals(1, worker.exitCode(), worker.output());
      assertTrue(worker.output().contains("management.port / INFERBUS_MANAGEMENT_PORT"), worker.output());
      assertFalse(worker.output().contains("Exception"), worker.output());
    }
  }

  @Test
  void healthAsksTheNodeThatTheSameSettingsDescribe() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = free.getLocalPort();
    }
    Map<String, String> settings = Map.of("INFERBUS_HTTP_PORT", String.valueOf(port));
    Run nobody = run(settings, "health", "--timeout-ms", "500");
    assertEquals(1, nobody.exitCode(), nobody.output());
    assertTrue(nobody.output().contains("\"unreachable\"") && nobody.output().contains(":" + port + "/health/ready"), nobody.output());

    try (Running node = Running.start(settings)) {
      node.awaitLine("inferbus ready", Duration.ofSeconds(60));
      Run ready = run(settings, "health");
      assertEquals(0, ready.exitCode(), ready.output());
      assertTrue(ready.output().contains("\"ready\""), ready.output());
    }

    Run badSettings = run(Map.of("INFERBUS_HTTP_PORT", "eighty"), "health");
    assertEquals(2, badSettings.exitCode(), badSettings.output());
    assertTrue(badSettings.output().contains("http.port"), badSettings.output());
  }

  @Test
  void sigtermIsLoggedWithTheDrainAndTheStopAndEveryLineNamesTheNode() throws Exception {
    try (Running node = Running.start(Map.of("INFERBUS_HTTP_PORT", "0"))) {
      node.awaitLine("inferbus ready", Duration.ofSeconds(60));
      node.process.toHandle().destroy(); // SIGTERM; Process.destroy() would also close the output we read
      assertTrue(node.process.waitFor(60, TimeUnit.SECONDS));
      node.awaitLine("stopped in", Duration.ofSeconds(10), "exit code " + node.process.exitValue());
      String output = node.output();
      assertTrue(output.contains("SIGTERM: draining"), output);
      String nodeTag = "[all-" + node.process.pid() + "-";
      for (String line : output.lines().filter(l -> !l.isBlank()).toList()) {
        assertTrue(line.contains(nodeTag), "line without the node id " + nodeTag + ": " + line);
      }
    }
  }

  @Test
  void jsonLogsAreOneObjectALineAndLinesAboutAJobCarryItsIdAndTrace() throws Exception {
    try (Running node = Running.start(Map.of("INFERBUS_HTTP_PORT", "0", "INFERBUS_LOG_FORMAT", "json", "INFERBUS_LOG_LEVEL", "debug"))) {
      node.awaitLine("inferbus ready", Duration.ofSeconds(60));
      java.util.regex.Matcher port = java.util.regex.Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)").matcher(node.output());
      assertTrue(port.find(), node.output());
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> accepted = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.group(1) + "/v1/jobs"))
          .header("Content-Type", "application/json").header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
          .POST(HttpRequest.BodyPublishers.ofString("{\"task\":\"embed\",\"input\":\"trace me\"}")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(202, accepted.statusCode(), accepted.body());
      node.awaitLine("\"message\":\"succeeded", Duration.ofSeconds(60));
      node.process.toHandle().destroy();
      assertTrue(node.process.waitFor(60, TimeUnit.SECONDS));
      List<io.vertx.core.json.JsonObject> lines = node.output().lines().filter(l -> !l.isBlank()).map(io.vertx.core.json.JsonObject::new).toList();
      assertTrue(lines.stream().allMatch(l -> l.containsKey("time") && l.containsKey("level") && l.getString("node").startsWith("all-")));
      List<String> aboutTheJob = lines.stream().filter(l -> "0af7651916cd43dd8448eb211c80319c".equals(l.getString("trace_id")))
          .map(l -> l.getString("logger") + ": " + l.getString("message")).toList();
      assertTrue(aboutTheJob.size() >= 4, "accepted, handed over, started, succeeded: " + aboutTheJob);
    }
  }

  @Test
  void aClusteredApiNodeAnswersNotReadyWhileItJoinsInsteadOfRefusingConnections() throws Exception {
    int httpPort;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      httpPort = free.getLocalPort();
    }
    int clusterPort = 27000 + new java.util.Random().nextInt(300) * 10;
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    List<String> answersBeforeReady = new ArrayList<>();
    int silentAtHandOver = 0;
    try (Running node = Running.start(Map.of("INFERBUS_HTTP_PORT", String.valueOf(httpPort),
        "INFERBUS_CLUSTER_PORT", String.valueOf(clusterPort), "INFERBUS_CLUSTER_MEMBERS", "127.0.0.1:" + clusterPort + "-" + (clusterPort + 2)),
        "--cluster", "--role", "api")) {
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (!node.output().contains("inferbus ready") && System.nanoTime() < deadline) {
        try {
          HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health/ready"))
              .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
          if (!node.output().contains("inferbus ready")) {
            answersBeforeReady.add(ready.statusCode() + " " + ready.body());
          }
        } catch (java.net.ConnectException refused) {
          // the JVM is still booting: the port is taken as soon as settings are read
        } catch (java.net.http.HttpTimeoutException silent) {
          // Known, not ours to fix here: a probe that reaches Vert.x's server at the moment it takes the port over can
          // go unanswered (Vert.x 5.0.8's Micrometer metrics log "socketMetric is null" for that connection). One
          // such probe at the hand-over is tolerated; silence while the node is still starting is not.
          if (node.output().contains("inferbus ready") && silentAtHandOver++ == 0) {
            continue;
          }
          answersBeforeReady.add("no answer in 2 s at " + java.time.Instant.now());
        }
      }
      node.awaitLine("inferbus ready", Duration.ofSeconds(5));
      assertFalse(answersBeforeReady.isEmpty(), "the port answered before the node was ready: " + node.output());
      assertTrue(answersBeforeReady.stream().allMatch(a -> a.startsWith("503 ") && a.contains("\"starting\"")),
          answersBeforeReady + "\n" + node.output());
      HttpResponse<String> job = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/v1/models")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, job.statusCode(), "the real API took over the port");
    }
  }

  /** The jar running in the background, its output collected line by line. */
  private static final class Running implements AutoCloseable {
    final Process process;
    private final StringBuffer output = new StringBuffer();
    private final Thread pump;

    private Running(Process process) {
      this.process = process;
      this.pump = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = in.readLine()) != null) {
            synchronized (output) {
              output.append(line).append('\n');
              output.notifyAll();
            }
          }
        } catch (IOException e) {
          // the process ended
        }
      });
      pump.start();
    }

    static Running start(Map<String, String> env, String... args) throws IOException {
      Path jar = Path.of(System.getProperty("inferbus.jar", "target/inferbus.jar"));
      List<String> command = new ArrayList<>(List.of("java", "-jar", jar.toString()));
      command.addAll(List.of(args));
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      builder.environment().putAll(env);
      builder.environment().put("OPT_OUT_TRACKING", "true");
      return new Running(builder.start());
    }

    String output() {
      return output.toString();
    }

    void awaitLine(String text, Duration timeout) throws InterruptedException {
      awaitLine(text, timeout, "");
    }

    void awaitLine(String text, Duration timeout, String context) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      synchronized (output) {
        while (!output.toString().contains(text)) {
          long left = (deadline - System.nanoTime()) / 1_000_000;
          if (left <= 0) {
            throw new AssertionError("no line with '" + text + "' in " + timeout + " " + context + ":\n" + output);
          }
          output.wait(left);
        }
      }
    }

    @Override
    public void close() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
      pump.join(5000);
    }
  }
}
