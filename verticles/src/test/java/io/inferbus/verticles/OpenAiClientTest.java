package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's official Node client (npm "openai" 5.x) against real nodes on their packaged defaults:
 * it always sends an API key, which a node without keys ignores and a node with keys checks.
 */
@Tag("full")
class OpenAiClientTest {
  private static final String KEY = "sk-inferbus-" + UUID.randomUUID();

  @Test
  void theOfficialClientWorksOutOfTheBox() throws Exception {
    String keyedConf = """
        auth:
          keys:
            - {name: app, sha256: %s, tier: free, max-priority: high}
        """.formatted(AccessTest.sha256(KEY));
    try (TestNode open = TestNode.start(Map.of()); TestNode keyed = TestNode.start(keyedConf, Map.of())) {
      String report = JsClients.test("openai.test.mjs", Map.of(
          "OPEN_URL", "http://127.0.0.1:" + open.node.httpPort(),
          "KEYED_URL", "http://127.0.0.1:" + keyed.node.httpPort(),
          "API_KEY", KEY), 180);
      assertTrue(report.contains("pass 5"), report);
    }
  }
}
