package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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
    for (String option : List.of("--cluster", "--role", "api", "worker", "all", "-conf", "INFERBUS_")) {
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
}
