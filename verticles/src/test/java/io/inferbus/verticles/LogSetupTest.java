package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** The lines a killed peer makes libraries write are left out; the same words from elsewhere, or real failures, are kept. */
class LogSetupTest {

  private static LogRecord line(String logger, Level level, String message) {
    LogRecord record = new LogRecord(level, message);
    record.setLoggerName(logger);
    return record;
  }

  @Test
  void aKilledMembersConnectionResetAndTheReconnectsToItAreRoutine() {
    assertTrue(LogSetup.routine(line("io.vertx.core.net.impl.ConnectionBase", Level.SEVERE, "Connection reset")));
    assertTrue(LogSetup.routine(line("io.vertx.core.eventbus.impl.clustered.ClusteredEventBus", Level.WARNING,
        "Connecting to server worker-28274-9ba96ec7 failed")));
    assertTrue(LogSetup.routine(line("com.hazelcast.internal.server.tcp.TcpServerConnection", Level.WARNING,
        "Connection[id=3] closed. Reason: Connection reset")));
  }

  @Test
  void otherErrorsStay() {
    assertFalse(LogSetup.routine(line("io.vertx.core.net.impl.ConnectionBase", Level.SEVERE, "javax.net.ssl.SSLHandshakeException: bad certificate")));
    assertFalse(LogSetup.routine(line("io.inferbus.verticles.worker.WorkerVerticle", Level.SEVERE, "Connection reset")));
    assertFalse(LogSetup.routine(line("com.hazelcast.map.impl.MapService", Level.SEVERE, "Connection reset")));
  }
}
