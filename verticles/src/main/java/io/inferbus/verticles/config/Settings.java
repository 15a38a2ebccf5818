package io.inferbus.verticles.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed, key-naming reads over a merged config tree. Every read is remembered, so that a key
 * nothing read (a misspelling, a setting that does not exist) can be named instead of ignored.
 */
final class Settings {
  private final JsonObject json;
  private final String path;
  private final Set<String> read;

  Settings(JsonObject json, String path) {
    this(json, path, new HashSet<>());
  }

  private Settings(JsonObject json, String path, Set<String> read) {
    this.json = json;
    this.path = path;
    this.read = read;
  }

  Settings section(String key) {
    Object value = json.getValue(key);
    if (!(value instanceof JsonObject object)) {
      throw new ConfigException(key(key), "expected a section");
    }
    return new Settings(object, key(key), read);
  }

  /** Fails on the first key of the tree that no read asked for, suggesting the nearest one that was. */
  void checkEverythingRead() {
    List<String> unread = new ArrayList<>();
    collectUnread(json, path, unread);
    if (!unread.isEmpty()) {
      String key = unread.get(0);
      Set<String> known = new TreeSet<>();
      read.forEach(k -> known.add(k.replaceAll("\\[\\d+]", "[]")));
      String suggestion = ConfigLoader.closest(key.replaceAll("\\[\\d+]", "[]"), known).map(k -> " (did you mean " + k + "?)").orElse("");
      throw new ConfigException(key, "not a setting inferbus has" + suggestion + "; set by a --conf file or by "
          + ConfigLoader.envName(ConfigLoader.ENV_PREFIX, key.replaceAll("\\[(\\d+)]", ".$1")));
    }
  }

  private void collectUnread(Object node, String at, List<String> unread) {
    if (node instanceof JsonObject object) {
      for (String key : object.fieldNames()) {
        collectUnread(object.getValue(key), at.isEmpty() ? key : at + "." + key, unread);
      }
    } else if (node instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        collectUnread(array.getValue(i), at + "[" + i + "]", unread);
      }
    } else if (!read.contains(at)) {
      unread.add(at);
    }
  }

  JsonArray list(String key) {
    Object value = json.getValue(key);
    if (!(value instanceof JsonArray array)) {
      throw new ConfigException(key(key), "expected a list");
    }
    return array;
  }

  Settings element(String key, int index) {
    Object value = list(key).getValue(index);
    if (!(value instanceof JsonObject object)) {
      throw new ConfigException(key(key) + "[" + index + "]", "expected a section");
    }
    return new Settings(object, key(key) + "[" + index + "]", read);
  }

  String string(String key) {
    read.add(key(key));
    Object value = json.getValue(key);
    if (value == null || value.toString().isBlank()) {
      throw new ConfigException(key(key), "missing");
    }
    return value.toString().trim();
  }

  java.util.Set<String> keys() {
    return json.fieldNames();
  }

  boolean has(String key) {
    return json.getValue(key) != null;
  }

  String optionalString(String key) {
    read.add(key(key));
    Object value = json.getValue(key);
    return value == null ? "" : value.toString().trim();
  }

  String oneOf(String key, String... allowed) {
    String value = string(key);
    for (String a : allowed) {
      if (a.equals(value)) {
        return value;
      }
    }
    throw new ConfigException(key(key), "expected one of " + String.join(", ", allowed) + ", got '" + value + "'");
  }

  int integer(String key, int min, int max) {
    read.add(key(key));
    Object value = json.getValue(key);
    long parsed;
    if (value instanceof Number number && number.doubleValue() == number.longValue()) {
      parsed = number.longValue();
    } else {
      try {
        parsed = Long.parseLong(String.valueOf(value).trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(key(key), "expected an integer from " + min + " to " + max + ", got '" + value + "'");
      }
    }
    if (parsed < min || parsed > max) {
      throw new ConfigException(key(key), "expected an integer from " + min + " to " + max + ", got " + parsed);
    }
    return (int) parsed;
  }

  boolean bool(String key) {
    read.add(key(key));
    Object value = json.getValue(key);
    if (value instanceof Boolean b) {
      return b;
    }
    String text = String.valueOf(value).trim();
    if (text.equals("true") || text.equals("false")) {
      return Boolean.parseBoolean(text);
    }
    throw new ConfigException(key(key), "expected true or false, got '" + value + "'");
  }

  /** The full name of a key of this section, for messages. */
  String path(String key) {
    return key(key);
  }

  private String key(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }
}
