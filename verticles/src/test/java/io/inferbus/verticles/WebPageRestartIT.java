package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The web page in headless Chromium while its API node (the fat jar, jobs kept in Redis) is killed
 * with kill -9 mid-job and started again on the same port: the page reconnects, the job is taken
 * back and continues where its text stood, and the page shows it grow to the end with nothing
 * missed or doubled.
 */
@Tag("full")
class WebPageRestartIT {
  @Test
  void aRestartedApiNodeMidJobLeavesThePageWhole() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    try (RedisServer redis = RedisServer.start()) {
      Map<String, String> env = new HashMap<>(Map.of(
          "INFERBUS_HTTP_PORT", String.valueOf(port),
          "INFERBUS_REDIS_URL", redis.url(),
          "INFERBUS_REDIS_JOB_STORE", "true",
          "INFERBUS_REDIS_NODE_TTL_SECONDS", "2",
          "INFERBUS_WORKER_STREAM_INTERVAL_MS", "0",
          "INFERBUS_CACHE_ENABLED", "false"));
      Process node = startNode(env, "restart-1");
      Process page = JsClients.start("page-restart.test.mjs", Map.of(
          "BASE_URL", "http://127.0.0.1:" + port,
          "LONG_TEXT", WebPageTest.longText(150),
          "SCREENSHOTS", WebPageTest.SCREENSHOTS.toString()));
      StringBuilder report = new StringBuilder();
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(page.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          report.append(line).append('\n');
          if (line.contains("RESTART_NOW")) {
            node.destroyForcibly().waitFor();
            node = startNode(env, "restart-2");
          }
        }
      } finally {
        node.destroy();
        node.waitFor(60, TimeUnit.SECONDS);
      }
      System.out.println(report);
      assertTrue(page.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, page.exitValue(), report.toString());
      assertTrue(report.toString().contains("pass 1"), report.toString());
    }
  }

  /** Starts the jar and waits for its "inferbus ready" line, copying its output to target/page-logs. */
  private static Process startNode(Map<String, String> env, String name) throws Exception {
    Path log = Path.of("target", "page-logs", name + ".log");
    Files.createDirectories(log.getParent());
    ProcessBuilder builder = new ProcessBuilder("java", "-jar", System.getProperty("inferbus.jar", "target/inferbus.jar"))
        .redirectErrorStream(true);
    builder.environment().putAll(env);
    builder.environment().put("OPT_OUT_TRACKING", "true");
    Process process = builder.start();
    java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
    Thread pump = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
           var out = Files.newBufferedWriter(log)) {
        String line;
        while ((line = in.readLine()) != null) {
          out.write(line);
          out.newLine();
          out.flush();
          if (line.contains("inferbus ready")) {
            ready.countDown();
          }
        }
      } catch (java.io.IOException e) {
        // the process ended
      }
    });
    pump.setDaemon(true);
    pump.start();
    assertTrue(ready.await(90, TimeUnit.SECONDS), "the node started; see " + log);
    return process;
  }
}
