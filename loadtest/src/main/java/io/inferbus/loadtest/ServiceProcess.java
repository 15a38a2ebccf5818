package io.inferbus.loadtest;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The fat jar started as a real process; ready when its log says "inferbus ready". */
final class ServiceProcess implements AutoCloseable {
  private final Process process;
  final Duration startupToReady;
  /** The API port, for benchmarks that chose it before starting the process. */
  int port;

  /** What the benchmarks measure is the work itself: no rate limits, every priority open, no cache (unless a benchmark sets them). */
  static final Map<String, String> BENCHMARKED_AS = Map.of(
      "INFERBUS_RATE_LIMITS_ANONYMOUS_PER_MINUTE", "0",
      "INFERBUS_AUTH_ANONYMOUS_MAX_PRIORITY", "critical",
      "INFERBUS_CACHE_ENABLED", "false");

  private ServiceProcess(Process process, Duration startupToReady) {
    this.process = process;
    this.startupToReady = startupToReady;
  }

  static ServiceProcess start(Path jar, List<String> args, Map<String, String> env, Path log) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("java"));
    command.addAll(recording(log));
    command.addAll(List.of("-jar", jar.toString()));
    command.addAll(args);
    return start(command, env, log, "inferbus ready");
  }

  /**
   * {@link BarePipeline} in a JVM of its own, like the service: its classes from this module, Vert.x
   * from the fat jar (which the benchmarks measure anyway).
   */
  static ServiceProcess startBarePipeline(Path jar, int port, Path log) throws IOException, InterruptedException {
    return startBarePipeline(jar, List.of(String.valueOf(port)), log);
  }

  /** @param args BarePipeline's arguments: its port, and for the clustered form its role, cluster port and members */
  static ServiceProcess startBarePipeline(Path jar, List<String> args, Path log) throws IOException, InterruptedException {
    Path classes;
    try {
      classes = Path.of(BarePipeline.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IOException(e);
    }
    List<String> command = new ArrayList<>(List.of("java"));
    command.addAll(recording(log));
    command.addAll(List.of("-cp", classes + java.io.File.pathSeparator + jar, BarePipeline.class.getName()));
    command.addAll(args);
    return start(command, Map.of(), log, BarePipeline.READY);
  }

  private static List<String> recording(Path log) {
    String profile = System.getProperty("bench.jfr");
    // -Dbench.jfr=DIR records each service process with JDK Flight Recorder, for finding hot spots.
    return profile == null ? List.of()
        : List.of("-XX:StartFlightRecording=settings=profile,filename=" + Path.of(profile, log.getFileName() + ".jfr").toAbsolutePath());
  }

  private static ServiceProcess start(List<String> command, Map<String, String> env, Path log, String readyLine) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(BENCHMARKED_AS);
    builder.environment().putAll(env);
    long begin = System.nanoTime();
    Process process = builder.start();
    long deadline = begin + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline && process.isAlive()) {
      if (Files.readString(log).contains(readyLine)) {
        return new ServiceProcess(process, Duration.ofNanos(System.nanoTime() - begin));
      }
      Thread.sleep(10);
    }
    process.destroyForcibly();
    throw new IllegalStateException("the service did not become ready; see " + log);
  }

  /** Polls an API node's /health/ready until it answers 200 (every model has a worker). */
  static void awaitReady(int port) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).build();
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("port " + port + " never became ready");
      }
      Thread.sleep(20);
    }
  }

  /** CPU time the service process has used so far, all its threads. */
  Duration cpuTime() {
    return process.toHandle().info().totalCpuDuration().orElseThrow();
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** SIGKILL, as a crash would end it. */
  void kill() {
    process.destroyForcibly();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    process.waitFor();
  }
}
