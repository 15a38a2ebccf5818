package io.inferbus.verticles;

import io.inferbus.verticles.config.ConfigException;
import io.inferbus.verticles.config.ConfigLoader;
import io.inferbus.verticles.config.InferbusConfig;
import io.inferbus.verticles.config.InferbusConfig.NodeConfig;
import io.inferbus.verticles.config.InferbusConfig.Role;
import io.vertx.core.Future;
import java.util.List;
import java.util.Locale;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

public final class Main {
  private static final String USAGE = """
      Usage: java -jar inferbus.jar [options]

      Runs the inferbus service: HTTP API, event bus and ONNX model workers in one JVM.

      Options:
        -conf FILE           YAML or JSON settings laid over the packaged defaults (conf/inferbus.yaml)
        --cluster            join a Hazelcast cluster (cluster.* settings; cluster.xml in the jar)
        --role ROLE          api: HTTP/SSE only, no model; worker: models, no public HTTP (health and
                             metrics on management.port); all: both (default)
        --help               print this help and exit

      Three nodes on one machine:
        java -jar inferbus.jar --cluster --role api
        INFERBUS_MANAGEMENT_PORT=9101 java -jar inferbus.jar --cluster --role worker
        INFERBUS_MANAGEMENT_PORT=9102 java -jar inferbus.jar --cluster --role worker

      Any setting can also come from an environment variable: INFERBUS_ + the key path in
      upper case with '_' for '.', '-' and list indexes, e.g. INFERBUS_HTTP_PORT=9090,
      INFERBUS_MODELS_0_SESSIONS=4. See README.md for every setting.
      """;

  /**
   * Warnings that say nothing to an operator: DJL's CUDA probe on CPU-only hosts, Hazelcast's CP
   * subsystem note (we use no CP data structures), Micrometer's duplicate Vert.x gauge. Held in a
   * field because java.util.logging keeps loggers weakly and would forget the level.
   */
  private static final List<Logger> QUIET_LOGGERS = List.of(
      Logger.getLogger("ai.djl.util.cuda"),
      Logger.getLogger("com.hazelcast.cp.CPSubsystem"),
      Logger.getLogger("io.micrometer.core.instrument.MeterRegistry"));

  private Main() {}

  public static void main(String[] args) throws InterruptedException {
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT %4$s %3$s - %5$s%6$s%n");
    QUIET_LOGGERS.forEach(logger -> logger.setLevel(Level.SEVERE));
    Path conf = null;
    Boolean clustered = null;
    Role role = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--help", "-h" -> {
          System.out.print(USAGE);
          return;
        }
        case "-conf", "--conf" -> {
          if (i + 1 >= args.length) {
            fail("-conf needs a file name");
          }
          conf = Path.of(args[++i]);
        }
        case "--cluster" -> clustered = true;
        case "--role" -> {
          if (i + 1 >= args.length || !List.of("api", "worker", "all").contains(args[i + 1])) {
            fail("--role needs api, worker or all");
          }
          role = Role.valueOf(args[++i].toUpperCase(Locale.ROOT));
        }
        default -> fail("unknown option " + args[i] + " (try --help)");
      }
    }
    long begin = System.nanoTime();
    InferbusConfig config;
    try {
      InferbusConfig loaded = ConfigLoader.load(conf, System.getenv());
      config = loaded.withNode(new NodeConfig(
          role == null ? loaded.node().role() : role, clustered == null ? loaded.node().clustered() : clustered,
          loaded.node().eventLoops()));
    } catch (ConfigException e) {
      fail(e.getMessage());
      return;
    }
    Logger log = Logger.getLogger("inferbus");
    CountDownLatch stopped = new CountDownLatch(1);
    Future<InferbusNode> starting = InferbusNode.start(config);
    AtomicBoolean shuttingDown = new AtomicBoolean();
    // A SIGTERM during start-up waits for it to end before closing: exiting while ONNX Runtime loads a
    // model crashes in native code.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      shuttingDown.set(true);
      starting.toCompletionStage().toCompletableFuture()
          .handle((node, failure) -> node)
          .thenCompose(node -> node == null ? CompletableFuture.completedFuture(null) : node.close().toCompletionStage())
          .join();
    }));
    starting
        .onSuccess(node -> {
          String where = node.httpPort() > 0 ? "on http://" + config.http().host() + ":" + node.httpPort() : "as a worker";
          log.info(String.format("inferbus ready %s in %d ms (node %s, role %s%s)", where, (System.nanoTime() - begin) / 1_000_000,
              node.nodeId(), config.node().role().name().toLowerCase(Locale.ROOT), config.node().clustered() ? ", clustered" : ""));
        })
        .onFailure(failure -> {
          stopped.countDown();
          if (!shuttingDown.get()) {
            System.err.println("inferbus failed to start: " + failure.getMessage());
            System.exit(1);
          }
        });
    stopped.await();
  }

  private static void fail(String message) {
    System.err.println("inferbus: " + message);
    System.exit(2);
  }
}
