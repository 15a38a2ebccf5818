package io.inferbus.verticles.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @Test
  void packagedDefaultsNeedNoSetup() {
    InferbusConfig config = ConfigLoader.load(null, Map.of());
    assertEquals(8080, config.http().port());
    assertEquals(1_048_576, config.http().maxBodyBytes());
    assertEquals(2048, config.limits().maxInputs());
    assertEquals(3600, config.jobs().retentionSeconds());
    assertEquals("all-minilm-l6-v2", config.models().get(0).id());
    assertEquals(256, config.models().get(0).spec().maxTokens());
    assertEquals(Runtime.getRuntime().availableProcessors(), config.models().get(0).engine().sessions());
  }

  @Test
  void aConfFileOverridesDefaultsAndEnvironmentOverridesBoth(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("my.yaml");
    Files.writeString(conf, "http:\n  port: 7000\n  sse-heartbeat-seconds: 5\njobs:\n  retention-seconds: 60\n");
    InferbusConfig config = ConfigLoader.load(conf, Map.of("INFERBUS_HTTP_PORT", "9090", "INFERBUS_MODELS_0_SESSIONS", "3"));
    assertEquals(9090, config.http().port());
    assertEquals(5, config.http().sseHeartbeatSeconds());
    assertEquals(60, config.jobs().retentionSeconds());
    assertEquals(3, config.models().get(0).engine().sessions());
    assertEquals(2048, config.limits().maxInputs());
  }

  @Test
  void aJsonConfFileWorksToo(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("my.json");
    Files.writeString(conf, "{\"limits\": {\"max-inputs\": 10}}");
    assertEquals(10, ConfigLoader.load(conf, Map.of()).limits().maxInputs());
  }

  @Test
  void aBadValueStopsStartUpWithAMessageNamingTheKey(@TempDir Path dir) throws Exception {
    ConfigException port = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("INFERBUS_HTTP_PORT", "eighty")));
    assertTrue(port.getMessage().contains("http.port"), port.getMessage());
    ConfigException device = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("INFERBUS_MODELS_0_DEVICE", "tpu")));
    assertTrue(device.getMessage().contains("models[0].device"), device.getMessage());
    Path conf = dir.resolve("bad.yaml");
    Files.writeString(conf, "limits:\n  max-inputs: -4\n");
    ConfigException limit = assertThrows(ConfigException.class, () -> ConfigLoader.load(conf, Map.of()));
    assertTrue(limit.getMessage().contains("limits.max-inputs"), limit.getMessage());
    Files.writeString(conf, "http: [unclosed\n");
    assertThrows(ConfigException.class, () -> ConfigLoader.load(conf, Map.of()));
  }
}
