package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The web page in headless Chromium (Debian's, driven by playwright-core): text growing as it is
 * written, Stop, embeddings with their similarity matrix, the SSE fallback, a phone-sized screen and
 * the keyboard. Screenshots land in target/screenshots.
 */
@Tag("full")
class WebPageTest {
  static final Path SCREENSHOTS = Path.of("target", "screenshots").toAbsolutePath();

  static String longText(int sentences) throws Exception {
    return Files.readAllLines(Path.of("../inference/src/test/resources/ru-latn-cyrl/test.tsv")).stream()
        .limit(sentences).map(line -> line.split("\t")[0]).collect(Collectors.joining(" "));
  }

  @Test
  void thePageWorksInARealBrowser() throws Exception {
    try (TestNode node = TestNode.start(Map.of("INFERBUS_WORKER_STREAM_INTERVAL_MS", "0"));
         TestNode withoutBridge = TestNode.start(Map.of("INFERBUS_BRIDGE_ENABLED", "false"))) {
      String report = JsClients.test("page.test.mjs", Map.of(
          "BASE_URL", "http://127.0.0.1:" + node.port(),
          "SSE_URL", "http://127.0.0.1:" + withoutBridge.port(),
          "LONG_TEXT", longText(40),
          "SCREENSHOTS", SCREENSHOTS.toString()), 300);
      assertTrue(report.contains("pass 6"), report);
      assertTrue(Files.exists(SCREENSHOTS.resolve("transliteration-mid-stream.png")));
    }
  }
}
