package io.inferbus.verticles;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.logging.Filter;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import io.inferbus.verticles.config.InferbusConfig;

/**
 * One line per record, each naming this node, with no stack traces: an operator reads what
 * happened, and nothing a client sends can make the log grow by pages. Lines about a job carry its
 * id and trace id. Text for people, or one JSON object a line for log collectors. Libraries are
 * kept to what an operator acts on.
 */
final class LogSetup {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

  /**
   * Held here because java.util.logging keeps loggers weakly and would forget their levels: DJL's
   * CUDA probe on CPU hosts, Hazelcast's CP note (we use no CP structures), Micrometer's duplicate
   * Vert.x gauge, Hazelcast's routine INFO chatter (joins, partitions, connections), and Vert.x's
   * note of messages that reach a consumer while it is being unregistered.
   */
  private static final List<Logger> TUNED = List.of(
      level("ai.djl", Level.WARNING),
      level("ai.djl.util.cuda", Level.SEVERE),
      level("com.hazelcast", Level.WARNING),
      level("com.hazelcast.cp.CPSubsystem", Level.SEVERE),
      level("io.micrometer.core.instrument.MeterRegistry", Level.SEVERE),
      // a message for a consumer being unregistered: routine while a node shuts down
      level("io.vertx.core.eventbus.impl.MessageConsumerImpl", Level.SEVERE));

  /**
   * Hazelcast warnings that are routine when a member is killed or leaves: each one is followed by
   * inferbus's own line saying what it did about it.
   */
  private static final Pattern ROUTINE = Pattern.compile(
      "Not Member!|blacklist|Connection.*(closed|refused|reset)|is suspected to be dead|Removing connection|"
          + "Member .* is not a member|TargetNotMemberException|Invocation.*timed out|No connection for|HazelcastInstanceNotActive");
  /**
   * Vert.x's lines when a peer goes away: a killed member's event-bus connection ends in a reset
   * (logged as an error), and messages already on their way to it try to reconnect until Hazelcast
   * removes the member; a client that drops its connection ends the same way.
   */
  private static final Pattern ROUTINE_VERTX = Pattern.compile("^Connection reset$|^Connecting to server .* failed");

  /** Whether a library's line only reports a peer that went away (it is left out of the log). */
  static boolean routine(LogRecord record) {
    String logger = record.getLoggerName();
    String message = record.getMessage();
    if (logger == null || message == null) {
      return false;
    }
    if (logger.startsWith("com.hazelcast")) {
      return record.getLevel().intValue() < Level.SEVERE.intValue() && ROUTINE.matcher(message).find();
    }
    return (logger.equals("io.vertx.core.net.impl.ConnectionBase") || logger.equals("io.vertx.core.eventbus.impl.clustered.ClusteredEventBus"))
        && ROUTINE_VERTX.matcher(message).find();
  }

  private static Logger level(String name, Level level) {
    Logger logger = Logger.getLogger(name);
    logger.setLevel(level);
    return logger;
  }

  private LogSetup() {}

  /** Our own loggers: {@code log.level: debug} lowers only these (libraries stay at their levels). */
  private static final Logger OWN = Logger.getLogger("io.inferbus");

  static void install(String nodeId, InferbusConfig.LogConfig config) {
    Logger root = Logger.getLogger("");
    Formatter formatter = config.json() ? new JsonFormatter(nodeId) : new NodeFormatter(nodeId);
    if (config.debug()) {
      OWN.setLevel(Level.FINE);
    }
    Filter quiet = record -> !routine(record);
    for (Handler handler : root.getHandlers()) {
      handler.setFormatter(formatter);
      handler.setFilter(quiet);
      if (config.debug()) {
        handler.setLevel(Level.FINE);
      }
    }
  }

  static JobLog.Context jobOf(LogRecord record) {
    Object[] parameters = record.getParameters();
    if (parameters != null) {
      for (Object parameter : parameters) {
        if (parameter instanceof JobLog.Context context) {
          return context;
        }
      }
    }
    return null;
  }

  /** The thrown exception's class and first message line: never its stack. */
  static String errorOf(LogRecord record) {
    Throwable thrown = record.getThrown();
    if (thrown == null) {
      return null;
    }
    return thrown.getClass().getSimpleName() + (thrown.getMessage() == null ? "" : ": " + thrown.getMessage().lines().findFirst().orElse(""));
  }

  /** One JSON object a line: time, level, node, logger, message, and job, trace_id and error when there are. */
  private static final class JsonFormatter extends Formatter {
    private final String nodeId;

    JsonFormatter(String nodeId) {
      this.nodeId = nodeId;
    }

    @Override
    public String format(LogRecord record) {
      io.vertx.core.json.JsonObject line = new io.vertx.core.json.JsonObject()
          .put("time", Instant.ofEpochMilli(record.getMillis()).toString())
          .put("level", record.getLevel().getName())
          .put("node", nodeId)
          .put("logger", NodeFormatter.shortName(record.getLoggerName()))
          .put("message", formatMessage(record));
      JobLog.Context job = jobOf(record);
      if (job != null) {
        line.put("job", job.jobId());
        if (job.traceId() != null) {
          line.put("trace_id", job.traceId());
        }
      }
      String error = errorOf(record);
      if (error != null) {
        line.put("error", error);
      }
      return line.encode() + System.lineSeparator();
    }
  }

  private static final class NodeFormatter extends Formatter {
    private final String nodeId;

    NodeFormatter(String nodeId) {
      this.nodeId = nodeId;
    }

    @Override
    public String format(LogRecord record) {
      StringBuilder line = new StringBuilder(160)
          .append(TIME.format(Instant.ofEpochMilli(record.getMillis()))).append(' ')
          .append(record.getLevel().getName()).append(" [").append(nodeId).append("] ")
          .append(shortName(record.getLoggerName())).append(" - ").append(formatMessage(record));
      JobLog.Context job = jobOf(record);
      if (job != null) {
        line.append(" [job ").append(job.jobId());
        if (job.traceId() != null) {
          line.append(" trace ").append(job.traceId());
        }
        line.append(']');
      }
      String error = errorOf(record);
      if (error != null) {
        line.append(" (").append(error).append(')');
      }
      return line.append(System.lineSeparator()).toString();
    }

    static String shortName(String logger) {
      if (logger == null) {
        return "";
      }
      int dot = logger.lastIndexOf('.');
      return dot < 0 ? logger : logger.substring(dot + 1);
    }
  }
}
