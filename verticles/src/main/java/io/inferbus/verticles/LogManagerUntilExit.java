package io.inferbus.verticles;

import java.util.logging.LogManager;

/**
 * java.util.logging closes its handlers in a shutdown hook of its own, racing ours: the lines a
 * draining node writes on SIGTERM ("draining", "stopped") would be lost. This manager keeps the
 * handlers until the JVM has finished exiting. Installed by {@link Main} before any logger exists.
 */
public final class LogManagerUntilExit extends LogManager {
  @Override
  public void reset() {
    // the JVM's exit closes the streams itself
  }
}
