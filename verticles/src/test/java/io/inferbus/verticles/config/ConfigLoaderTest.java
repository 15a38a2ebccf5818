package io.inferbus.verticles.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

  @Test
  void thePackagedDefaultsLimitNobodyAndTheProductionProfileDoes() {
    InferbusConfig local = ConfigLoader.load(null, Map.of());
    assertTrue(local.rateLimits().anonymous().unlimited());
    local.rateLimits().tiers().values().forEach(tier -> assertTrue(tier.unlimited()));
    assertEquals("127.0.0.1", local.http().host());
    assertTrue(!local.redis().configured());

    InferbusConfig production = ConfigLoader.load(List.of("production"), List.of(), Map.of("INFERBUS_REDIS_URL", "redis://redis:6379/0"));
    assertEquals("0.0.0.0", production.http().host());
    assertEquals(new InferbusConfig.Bucket(10, 5), production.rateLimits().anonymous());
    assertEquals(100, production.rateLimits().tiers().get("premium").perMinute());
    assertTrue(production.redis().jobStore());
    assertEquals("redis://redis:6379/0", production.redis().url());
    assertTrue(production.cache().enabled());
  }

  @Test
  void confFilesAreLaidOverEachOtherInOrder(@TempDir Path dir) throws Exception {
    Path first = dir.resolve("first.yaml");
    Path second = dir.resolve("second.yaml");
    Files.writeString(first, "http: {port: 7000, sse-heartbeat-seconds: 5}\n");
    Files.writeString(second, "http: {port: 7001}\n");
    InferbusConfig config = ConfigLoader.load(List.of("production"), List.of(first, second), Map.of());
    assertEquals(7001, config.http().port());
    assertEquals(5, config.http().sseHeartbeatSeconds());
    assertEquals("0.0.0.0", config.http().host(), "the profile lies under both files");
  }

  @Test
  void aVariableThatNamesNoSettingStopsStartUpAndSuggestsTheNearestOne() {
    ConfigException typo = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("INFERBUS_HTTP_PROT", "9090")));
    assertTrue(typo.getMessage().contains("INFERBUS_HTTP_PROT"), typo.getMessage());
    assertTrue(typo.getMessage().contains("did you mean INFERBUS_HTTP_PORT"), typo.getMessage());
    ConfigException unknown = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("INFERBUS_COLOUR", "blue")));
    assertTrue(unknown.getMessage().contains("INFERBUS_COLOUR"), unknown.getMessage());
  }

  @Test
  void aKeyInAFileThatNamesNoSettingStopsStartUp(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("typo.yaml");
    Files.writeString(conf, "redis:\n  urll: redis://127.0.0.1:6379\n");
    ConfigException typo = assertThrows(ConfigException.class, () -> ConfigLoader.load(conf, Map.of()));
    assertTrue(typo.getMessage().contains("redis.urll"), typo.getMessage());
    assertTrue(typo.getMessage().contains("did you mean redis.url"), typo.getMessage());
    Files.writeString(conf, "models:\n  - {id: noop, task: noop, sesions: 2}\n");
    ConfigException field = assertThrows(ConfigException.class, () -> ConfigLoader.load(conf, Map.of()));
    assertTrue(field.getMessage().contains("models[0].sesions"), field.getMessage());
  }

  @Test
  void variablesOneIndexPastTheEndOfAListAddAnEntry() {
    InferbusConfig config = ConfigLoader.load(null, Map.of("INFERBUS_MODELS_2_ID", "noop", "INFERBUS_MODELS_2_TASK", "noop",
        "INFERBUS_MODELS_2_DELAY_MS", "5"));
    assertEquals(3, config.models().size(), "the two packaged models and the new one");
    assertEquals("noop", config.models().get(2).id());
    assertEquals(5, config.models().get(2).delayMs());
    ConfigException incomplete = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("INFERBUS_MODELS_2_ID", "noop")));
    assertTrue(incomplete.getMessage().contains("models[2].task"), incomplete.getMessage());
    ConfigException gap = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("INFERBUS_MODELS_3_ID", "noop")));
    assertTrue(gap.getMessage().contains("INFERBUS_MODELS_3_ID"), gap.getMessage());
  }

  @Test
  void aMissingConfFileIsNamedAsMissing(@TempDir Path dir) {
    ConfigException missing = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir.resolve("x.yaml"), Map.of()));
    assertTrue(missing.getMessage().contains("x.yaml does not exist"), missing.getMessage());
    ConfigException profile = assertThrows(ConfigException.class, () -> ConfigLoader.load(List.of("staging"), List.of(), Map.of()));
    assertTrue(profile.getMessage().contains("no profile 'staging'"), profile.getMessage());
  }
}
