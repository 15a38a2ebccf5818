package io.inferbus.verticles;

import io.inferbus.verticles.config.ConfigLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** A real service node in this JVM on a free loopback port, built from the packaged defaults plus env overrides. */
public final class TestNode extends ApiClient {
  /**
   * Tests of other things submit many jobs, some of them critical and some identical: unless a test
   * sets these itself, anonymous callers are unlimited, may use every priority, and nothing is cached.
   */
  public static final Map<String, String> OPEN_ACCESS_NO_CACHE = Map.of(
      "INFERBUS_RATE_LIMITS_ANONYMOUS_PER_MINUTE", "0",
      "INFERBUS_AUTH_ANONYMOUS_MAX_PRIORITY", "critical",
      "INFERBUS_CACHE_ENABLED", "false");

  public final InferbusNode node;

  private TestNode(InferbusNode node) {
    super(node.httpPort());
    this.node = node;
  }

  public static TestNode start(Map<String, String> env) {
    return start(null, env);
  }

  /** Exactly the packaged defaults (what {@code java -jar} serves), but on a free port. */
  public static TestNode startOnPackagedDefaults() {
    return new TestNode(InferbusNode.start(ConfigLoader.load(null, Map.of("INFERBUS_HTTP_PORT", "0"))).await());
  }

  /** With settings laid over the defaults as a --conf file would be. */
  public static TestNode start(String confYaml, Map<String, String> env) {
    Map<String, String> all = new HashMap<>(env);
    all.putIfAbsent("INFERBUS_HTTP_PORT", "0");
    OPEN_ACCESS_NO_CACHE.forEach(all::putIfAbsent);
    Path conf = null;
    if (confYaml != null) {
      try {
        conf = Files.createTempFile("inferbus-test", ".yaml");
        Files.writeString(conf, confYaml);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return new TestNode(InferbusNode.start(ConfigLoader.load(conf, all)).await());
  }

  @Override
  public void close() {
    super.close();
    node.close().await();
  }
}
