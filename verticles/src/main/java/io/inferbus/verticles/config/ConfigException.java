package io.inferbus.verticles.config;

/** A setting that cannot be used; the message names the key. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String key, String problem) {
    super("config " + key + ": " + problem);
  }
}
