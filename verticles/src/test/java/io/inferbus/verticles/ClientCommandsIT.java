package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar's client commands (submit, status, watch, cancel) against a real node: output, files, stdin and exit codes. */
class ClientCommandsIT {
  private record Run(int exitCode, String out, String err) {}

  private static TestNode node;

  @BeforeAll
  static void startNode() {
    node = TestNode.start("""
        models:
          - {id: ru-latn-cyrl, task: transliterate, model: "classpath:ru-latn-cyrl", max-tokens: 24, sessions: 1, intra-op-threads: 1,
             device: cpu, max-active-sequences: 64, max-prefill-tokens: 2048}
          - {id: all-minilm-l6-v2, task: embed, dimensions: 384, max-tokens: 256, model: "classpath:all-minilm-l6-v2-q.onnx",
             tokenizer: "classpath:all-minilm-l6-v2-q-tokenizer.json", sessions: 1, intra-op-threads: 1, device: cpu, rows-per-run: 1}
          - {id: noop, task: noop, delay-ms: 50, sessions: 1}
        """, Map.of());
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  private static Run run(String stdin, String... args) throws IOException, InterruptedException {
    Path jar = Path.of(System.getProperty("inferbus.jar", "target/inferbus.jar"));
    List<String> command = new ArrayList<>(List.of("java", "-jar", jar.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).start();
    if (stdin != null) {
      process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    process.getOutputStream().close();
    byte[] err = new byte[0];
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    err = process.getErrorStream().readAllBytes();
    assertTrue(process.waitFor(120, TimeUnit.SECONDS));
    return new Run(process.exitValue(), out, new String(err, StandardCharsets.UTF_8));
  }

  private static String url() {
    return "http://127.0.0.1:" + node.port();
  }

  @Test
  void submitStreamsWithAProgressBarAndPrintsTheResult() throws Exception {
    Run run = run(null, "submit", "--url", url(), "--task", "transliterate", "privet, kak dela?");
    assertEquals(0, run.exitCode(), run.err());
    assertEquals("привет, как дела?", new JsonObject(run.out()).getJsonArray("texts").getString(0));
    assertTrue(run.err().contains("100%") && run.err().contains("transliterate"), "a progress bar on stderr: " + run.err());
  }

  @Test
  void submitReadsAFileOrStandardInputAndWritesToAFile(@TempDir Path dir) throws Exception {
    Path in = dir.resolve("doc.txt");
    Files.writeString(in, "Segodnya horoshaya pogoda.\n");
    Path out = dir.resolve("result.json");
    Run fromFile = run(null, "submit", "--url", url(), "--file", in.toString(), "--out", out.toString(), "-q");
    assertEquals(0, fromFile.exitCode(), fromFile.err());
    assertEquals("Сегодня хорошая погода.", new JsonObject(Files.readString(out)).getJsonArray("texts").getString(0));
    assertEquals("", fromFile.err(), "quiet");

    Run fromStdin = run("A man is eating food.\n\nThe girl is carrying a baby.\n", "submit", "--url", url(), "--task", "embed", "-q");
    assertEquals(0, fromStdin.exitCode(), fromStdin.err());
    JsonArray vectors = new JsonObject(fromStdin.out()).getJsonArray("embeddings");
    assertEquals(2, vectors.size(), "one input per non-empty line");
    assertEquals(384, vectors.getJsonArray(0).size());
  }

  @Test
  void statusWatchAndCancelTellTheOutcomeByExitCode() throws Exception {
    JsonArray items = new JsonArray();
    for (int i = 0; i < 400; i++) {
      items.add("item " + i);
    }
    String id = node.postJson("/v1/jobs", new JsonObject().put("task", "noop").put("input", items)).bodyAsJsonObject().getString("id");
    Run running = run(null, "status", "--url", url(), id);
    assertEquals(0, running.exitCode(), running.err());
    assertTrue(List.of("queued", "running").contains(new JsonObject(running.out()).getString("status")), running.out());

    Run cancel = run(null, "cancel", "--url", url(), id);
    assertEquals(0, cancel.exitCode(), cancel.err());
    assertEquals("cancelled", new JsonObject(cancel.out()).getString("status"));
    Run again = run(null, "cancel", "--url", url(), id);
    assertEquals(1, again.exitCode(), "it had already ended: " + again.err());
    assertTrue(again.err().contains("job_finished"), again.err());

    Run status = run(null, "status", "--url", url(), id);
    assertEquals(1, status.exitCode());
    Run watch = run(null, "watch", "--url", url(), id);
    assertEquals(1, watch.exitCode());
    assertTrue(watch.err().contains("job cancelled"), watch.err());

    String done = node.postJson("/v1/jobs", new JsonObject().put("task", "noop").put("input", "x")).bodyAsJsonObject().getString("id");
    Run watched = run(null, "watch", "--url", url(), "-q", done);
    assertEquals(0, watched.exitCode(), watched.err());
    assertEquals("x", new JsonObject(watched.out()).getJsonArray("outputs").getString(0));
  }

  @Test
  void usageConnectionAndRefusalsExitWithTwo() throws Exception {
    assertEquals(2, run(null, "status", "--url", url(), "00000000-0000-0000-0000-000000000000").exitCode());
    Run unreachable = run(null, "submit", "--url", "http://127.0.0.1:1", "x");
    assertEquals(2, unreachable.exitCode());
    assertTrue(unreachable.err().contains("cannot reach"), unreachable.err());
    assertEquals(2, run(null, "submit", "--bogus").exitCode());
    Run refused = run(null, "submit", "--url", url(), "--task", "dance", "x");
    assertEquals(2, refused.exitCode());
    assertTrue(refused.err().contains("unknown_task"), refused.err());
  }
}
