package io.inferbus.verticles.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Typed, key-naming reads over a merged config tree. */
final class Settings {
  private final JsonObject json;
  private final String path;

  Settings(JsonObject json, String path) {
    this.json = json;
    this.path = path;
  }

  Settings section(String key) {
    Object value = json.getValue(key);
    if (!(value instanceof JsonObject object)) {
      throw new ConfigException(key(key), "expected a section");
    }
    return new Settings(object, key(key));
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
    return new Settings(object, key(key) + "[" + index + "]");
  }

  String string(String key) {
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

  private String key(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }
}
