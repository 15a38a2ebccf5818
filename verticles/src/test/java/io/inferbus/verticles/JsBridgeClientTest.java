package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The bridge from the real JS client in Node (npm @vertx/eventbus-bridge-client.js and sockjs-client), and the Node example. */
@Tag("full")
class JsBridgeClientTest {
  @Test
  void theJsClientAndTheNodeExampleWork() throws Exception {
    try (TestNode node = TestNode.startOnPackagedDefaults()) {
      String report = JsClients.test("bridge.test.mjs", Map.of("BASE_URL", "http://127.0.0.1:" + node.port()), 180);
      assertTrue(report.contains("pass 3"), report);
    }
  }
}
