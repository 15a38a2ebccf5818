package io.inferbus.verticles.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Packaged defaults ({@code conf/inferbus.yaml}), then an optional -conf file, then environment
 * variables named after the keys of the merged tree.
 */
public final class ConfigLoader {
  static final String DEFAULTS_RESOURCE = "conf/inferbus.yaml";
  private static final String ENV_PREFIX = "INFERBUS";

  private ConfigLoader() {}

  public static InferbusConfig load(Path confFile, Map<String, String> env) {
    JsonObject tree = readDefaults();
    if (confFile != null) {
      deepMerge(tree, readFile(confFile));
    }
    applyEnvironment(tree, ENV_PREFIX, env);
    return InferbusConfig.from(tree);
  }

  private static JsonObject readDefaults() {
    try (InputStream in = ConfigLoader.class.getClassLoader().getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULTS_RESOURCE + " is missing from the classpath");
      }
      return parseYaml(new String(in.readAllBytes()), DEFAULTS_RESOURCE);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + DEFAULTS_RESOURCE, e);
    }
  }

  private static JsonObject readFile(Path file) {
    try {
      return parseYaml(Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new ConfigException("-conf", "cannot read " + file + ": " + e.getMessage());
    }
  }

  /** YAML is a superset of JSON, so one parser reads both. */
  @SuppressWarnings("unchecked")
  private static JsonObject parseYaml(String text, String source) {
    try {
      Object parsed = new Yaml().load(text);
      if (parsed == null) {
        return new JsonObject();
      }
      if (!(parsed instanceof Map<?, ?> map)) {
        throw new ConfigException(source, "expected a mapping at the top level");
      }
      return new JsonObject((Map<String, Object>) map);
    } catch (YAMLException e) {
      throw new ConfigException(source, "not valid YAML or JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
  }

  static void deepMerge(JsonObject base, JsonObject override) {
    for (String key : override.fieldNames()) {
      Object value = override.getValue(key);
      if (value instanceof JsonObject child && base.getValue(key) instanceof JsonObject existing) {
        deepMerge(existing, child);
      } else {
        base.put(key, value);
      }
    }
  }

  private static void applyEnvironment(JsonObject node, String prefix, Map<String, String> env) {
    for (String key : node.fieldNames()) {
      String name = envName(prefix, key);
      Object value = node.getValue(key);
      if (value instanceof JsonObject child) {
        applyEnvironment(child, name, env);
      } else if (value instanceof JsonArray array) {
        applyEnvironment(array, name, env);
      } else if (env.containsKey(name)) {
        node.put(key, env.get(name));
      }
    }
  }

  private static void applyEnvironment(JsonArray array, String prefix, Map<String, String> env) {
    List<?> items = array.getList();
    for (int i = 0; i < items.size(); i++) {
      String name = prefix + "_" + i;
      Object value = array.getValue(i);
      if (value instanceof JsonObject child) {
        applyEnvironment(child, name, env);
      } else if (env.containsKey(name)) {
        array.set(i, env.get(name));
      }
    }
  }

  static String envName(String prefix, String key) {
    return prefix + "_" + key.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
  }
}
