package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the JavaScript tests in src/test/js (real npm clients) with Node's test runner; their npm
 * packages are installed from package-lock.json on first use. Needs node and npm: full profile only.
 */
final class JsClients {
  static final Path DIR = Path.of("src", "test", "js");

  private JsClients() {}

  static synchronized void installPackages() throws IOException, InterruptedException {
    if (!Files.isDirectory(DIR.resolve("node_modules"))) {
      run(List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of(), 300);
    }
  }

  /** Runs one test file; fails with Node's own report unless every test in it passed. */
  static String test(String file, Map<String, String> env, int timeoutSeconds) throws IOException, InterruptedException {
    installPackages();
    return run(List.of("node", "--test", "--test-reporter=spec", file), env, timeoutSeconds);
  }

  /** Starts one test file and leaves it running: the caller reads its output as it comes (to act on cues it prints). */
  static Process start(String file, Map<String, String> env) throws IOException, InterruptedException {
    installPackages();
    ProcessBuilder builder = new ProcessBuilder(List.of("node", "--test", "--test-reporter=spec", file)).directory(DIR.toFile())
        .redirectErrorStream(true);
    builder.environment().putAll(env);
    return builder.start();
  }

  private static String run(List<String> command, Map<String, String> env, int timeoutSeconds) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true);
    builder.environment().putAll(env);
    Process process = builder.start();
    byte[][] output = new byte[1][];
    Thread reader = new Thread(() -> {
      try {
        output[0] = process.getInputStream().readAllBytes();
      } catch (IOException e) {
        output[0] = ("could not read the output: " + e).getBytes(StandardCharsets.UTF_8);
      }
    });
    reader.start();
    boolean ended = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    if (!ended) {
      process.destroyForcibly();
    }
    reader.join();
    String text = new String(output[0], StandardCharsets.UTF_8);
    System.out.println(String.join(" ", command) + ":\n" + text);
    assertTrue(ended, String.join(" ", command) + " did not end in " + timeoutSeconds + " s:\n" + text);
    assertEquals(0, process.exitValue(), String.join(" ", command) + " failed:\n" + text);
    return text;
  }
}
