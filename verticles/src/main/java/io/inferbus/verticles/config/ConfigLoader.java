package io.inferbus.verticles.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Packaged defaults ({@code conf/inferbus.yaml}), then packaged profiles ({@code conf/<name>.yaml}),
 * then --conf files, each laid over what came before, then environment variables named after the
 * keys of the merged tree. A variable one index past the end of a list adds an entry to it
 * ({@code INFERBUS_MODELS_2_ID=noop}, {@code INFERBUS_MODELS_2_TASK=noop}). An {@code INFERBUS_}
 * variable that names no setting stops start-up, as does a key in a file that nothing reads.
 */
public final class ConfigLoader {
  static final String DEFAULTS_RESOURCE = "conf/inferbus.yaml";
  static final String ENV_PREFIX = "INFERBUS";

  private ConfigLoader() {}

  public static InferbusConfig load(Path confFile, Map<String, String> env) {
    return load(List.of(), confFile == null ? List.of() : List.of(confFile), env);
  }

  public static InferbusConfig load(List<String> profiles, List<Path> confFiles, Map<String, String> env) {
    JsonObject tree = parseYaml(readResource(DEFAULTS_RESOURCE), DEFAULTS_RESOURCE);
    for (String profile : profiles) {
      String resource = "conf/" + profile + ".yaml";
      if (ConfigLoader.class.getClassLoader().getResource(resource) == null) {
        throw new ConfigException("--profile", "no profile '" + profile + "' (packaged profiles: production)");
      }
      deepMerge(tree, parseYaml(readResource(resource), resource));
    }
    for (Path file : confFiles) {
      deepMerge(tree, readFile(file));
    }
    applyEnvironment(tree, env);
    return InferbusConfig.from(tree);
  }

  private static String readResource(String name) {
    try (InputStream in = ConfigLoader.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + name, e);
    }
  }

  private static JsonObject readFile(Path file) {
    try {
      return parseYaml(Files.readString(file), file.toString());
    } catch (NoSuchFileException e) {
      throw new ConfigException("--conf", "the file " + file + " does not exist");
    } catch (IOException e) {
      throw new ConfigException("--conf", "cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
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

  static void applyEnvironment(JsonObject tree, Map<String, String> env) {
    Set<String> used = new HashSet<>();
    Set<String> known = new TreeSet<>();
    applyEnvironment(tree, ENV_PREFIX, env, used, known);
    List<String> unknown = env.keySet().stream().filter(name -> name.startsWith(ENV_PREFIX + "_") && !used.contains(name)).sorted().toList();
    if (!unknown.isEmpty()) {
      String name = unknown.get(0);
      throw new ConfigException(name, "no setting has this name" + closest(name, known).map(c -> " (did you mean " + c + "?)").orElse("")
          + "; variables are INFERBUS_ + a key path in upper case with '_' for '.', '-' and list indexes, see --help");
    }
  }

  private static void applyEnvironment(JsonObject node, String prefix, Map<String, String> env, Set<String> used, Set<String> known) {
    for (String key : new ArrayList<>(node.fieldNames())) {
      String name = envName(prefix, key);
      Object value = node.getValue(key);
      if (value instanceof JsonObject child) {
        applyEnvironment(child, name, env, used, known);
      } else if (value instanceof JsonArray array) {
        applyEnvironment(array, name, env, used, known);
      } else {
        known.add(name);
        if (env.containsKey(name)) {
          node.put(key, env.get(name));
          used.add(name);
        }
      }
    }
  }

  /** Entries of the list first, then new entries at the next indexes, each made of the variables that name it. */
  private static void applyEnvironment(JsonArray array, String prefix, Map<String, String> env, Set<String> used, Set<String> known) {
    for (int i = 0; i < array.size(); i++) {
      String name = prefix + "_" + i;
      Object value = array.getValue(i);
      if (value instanceof JsonObject child) {
        applyEnvironment(child, name, env, used, known);
        addFields(child, name + "_", env, used);
      } else {
        known.add(name);
        if (env.containsKey(name)) {
          array.set(i, env.get(name));
          used.add(name);
        }
      }
    }
    while (true) {
      String entryPrefix = prefix + "_" + array.size() + "_";
      List<String> fields = env.keySet().stream().filter(n -> n.startsWith(entryPrefix)).sorted().toList();
      if (fields.isEmpty()) {
        return;
      }
      JsonObject entry = new JsonObject();
      addFields(entry, entryPrefix, env, used);
      array.add(entry);
    }
  }

  /**
   * Variables for fields a list entry does not have yet ({@code INFERBUS_MODELS_0_DELAY_MS}); a
   * field nothing reads is reported by {@link InferbusConfig#from} with its key.
   */
  private static void addFields(JsonObject entry, String entryPrefix, Map<String, String> env, Set<String> used) {
    env.keySet().stream().filter(n -> n.startsWith(entryPrefix) && !used.contains(n)).sorted().forEach(field -> {
      entry.put(field.substring(entryPrefix.length()).toLowerCase(Locale.ROOT).replace('_', '-'), env.get(field));
      used.add(field);
    });
  }

  static String envName(String prefix, String key) {
    return prefix + "_" + key.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
  }

  /** The known name nearest to a misspelt one, if any is near. */
  static java.util.Optional<String> closest(String name, Set<String> known) {
    return known.stream()
        .map(k -> Map.entry(k, distance(name, k)))
        .filter(e -> e.getValue() <= Math.max(2, name.length() / 6))
        .min(Comparator.comparingInt(Map.Entry::getValue))
        .map(Map.Entry::getKey);
  }

  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      int[] current = new int[b.length() + 1];
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        current[j] = Math.min(Math.min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
      }
      previous = current;
    }
    return previous[b.length()];
  }
}
