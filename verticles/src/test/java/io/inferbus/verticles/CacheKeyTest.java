package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.inferbus.inference.EngineOptions;
import io.inferbus.inference.ModelSpec;
import io.inferbus.inference.Task;
import io.inferbus.verticles.cache.CacheKey;
import io.inferbus.verticles.config.InferbusConfig;
import io.inferbus.verticles.config.InferbusConfig.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class CacheKeyTest {
  private static final ModelSpec SPEC = ModelSpec.allMiniLmL6V2();
  private static final EngineOptions ENGINE = EngineOptions.cpuDefaults();
  private static final InferbusConfig.GenerationConfig NO_GENERATION = new InferbusConfig.GenerationConfig(0, 0);
  private static final ModelConfig MODEL = new ModelConfig(SPEC, ENGINE, 0, "v1", NO_GENERATION);

  @Test
  void everythingThatChangesAResultChangesTheKey() {
    String key = CacheKey.of(MODEL, Task.EMBED, "", List.of("a", "b"));
    assertEquals(key, CacheKey.of(new ModelConfig(SPEC, ENGINE, 0, "v1", NO_GENERATION), Task.EMBED, "", List.of("a", "b")));
    assertNotEquals(key, CacheKey.of(new ModelConfig(SPEC, ENGINE, 0, "v2", NO_GENERATION), Task.EMBED, "", List.of("a", "b")), "version");
    assertNotEquals(key, CacheKey.of(new ModelConfig(new ModelSpec(SPEC.id(), SPEC.task(), SPEC.dimensions(), 128, SPEC.modelLocation(), SPEC.tokenizerLocation()), ENGINE, 0, "v1", NO_GENERATION), Task.EMBED, "", List.of("a", "b")), "window size");
    assertNotEquals(key, CacheKey.of(new ModelConfig(SPEC, new EngineOptions(ENGINE.sessions(), ENGINE.intraOpThreads(), ENGINE.device(), 8), 0, "v1", NO_GENERATION),
        Task.EMBED, "", List.of("a", "b")), "rows run together");
    assertNotEquals(key, CacheKey.of(MODEL, Task.EMBED, "", List.of("b", "a")), "input order");
    assertNotEquals(key, CacheKey.of(MODEL, Task.EMBED, "", List.of("ab")), "input boundaries");
    assertNotEquals(CacheKey.of(MODEL, Task.TRANSLITERATE, "max_new_tokens=0", List.of("a")),
        CacheKey.of(MODEL, Task.TRANSLITERATE, "max_new_tokens=5", List.of("a")), "parameters");
  }
}
