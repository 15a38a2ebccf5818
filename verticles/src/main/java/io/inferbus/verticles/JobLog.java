package io.inferbus.verticles;

import io.inferbus.verticles.jobs.Traceparent;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Log lines about one job: they carry its id and its trace id (JSON fields, or a suffix in text),
 * so one job can be followed through the logs of every node it touched.
 */
public final class JobLog {
  /** Attached to a record's parameters; {@link LogSetup}'s formatters write it out. */
  public record Context(String jobId, String traceId) {}

  private JobLog() {}

  public static void log(Logger logger, Level level, String jobId, String traceparent, Supplier<String> message) {
    if (!logger.isLoggable(level)) {
      return;
    }
    LogRecord record = new LogRecord(level, message.get());
    record.setLoggerName(logger.getName());
    record.setParameters(new Object[] {new Context(jobId, Traceparent.traceId(traceparent))});
    logger.log(record);
  }

  /** A job's state changes (accepted, handed over, started, ended): shown with {@code log.level: debug}. */
  public static void event(Logger logger, String jobId, String traceparent, Supplier<String> message) {
    log(logger, Level.FINE, jobId, traceparent, message);
  }
}
