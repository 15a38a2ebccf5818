package io.inferbus.verticles;

import io.inferbus.verticles.cli.CancelCommand;
import io.inferbus.verticles.cli.StatusCommand;
import io.inferbus.verticles.cli.SubmitCommand;
import io.inferbus.verticles.cli.WatchCommand;
import io.inferbus.verticles.config.InferbusConfig;
import io.vertx.core.Future;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code java -jar inferbus.jar}: with no command it runs a service node; {@code submit},
 * {@code status}, {@code watch} and {@code cancel} are the client.
 */
@Command(name = "inferbus", mixinStandardHelpOptions = true, version = "inferbus 0.1.0", sortOptions = false,
    subcommands = {SubmitCommand.class, StatusCommand.class, WatchCommand.class, CancelCommand.class, HealthCommand.class},
    description = {
        "Runs the inferbus service: HTTP API, event bus and ONNX model workers in one JVM.",
        "With no options it serves whoever calls it on this machine (127.0.0.1:8080), with no",
        "limits, no Redis and no network. The commands below are its client."},
    footer = {
        "",
        "Three nodes on one machine:",
        "  java -jar inferbus.jar --cluster --role api",
        "  INFERBUS_MANAGEMENT_PORT=9101 java -jar inferbus.jar --cluster --role worker",
        "  INFERBUS_MANAGEMENT_PORT=9102 java -jar inferbus.jar --cluster --role worker",
        "",
        "Any setting can also come from an environment variable: INFERBUS_ + the key path in",
        "upper case with '_' for '.', '-' and list indexes, e.g. INFERBUS_HTTP_PORT=9090,",
        "INFERBUS_MODELS_0_SESSIONS=4. A variable one index past the end of a list adds an entry",
        "(the defaults list two models): INFERBUS_MODELS_2_ID=noop INFERBUS_MODELS_2_TASK=noop serves",
        "the noop model too. A variable or key that names no setting stops start-up.",
        "See README.md for every setting.",
        "",
        "Client: java -jar inferbus.jar submit --task transliterate \"privet mir\"   (see submit --help)"})
public final class Main implements Callable<Integer> {
  @Mixin
  private NodeOptions node = new NodeOptions();

  private Main() {}

  public static void main(String[] args) {
    System.setProperty("java.util.logging.manager", LogManagerUntilExit.class.getName());
    keepCommonPoolThreads();
    int exit = new CommandLine(new Main()).setUsageHelpWidth(100).execute(args);
    if (exit != 0) {
      System.exit(exit);
    }
  }

  /**
   * With fewer than three cores the JDK's common pool has one thread, and then CompletableFuture
   * and Hazelcast (whose asynchronous callbacks go there by default, Vert.x's shared maps among
   * them) start a new thread for every callback instead. Set before anything touches the pool.
   */
  private static void keepCommonPoolThreads() {
    String parallelism = "java.util.concurrent.ForkJoinPool.common.parallelism";
    if (System.getProperty(parallelism) == null && Runtime.getRuntime().availableProcessors() < 3) {
      System.setProperty(parallelism, "2");
    }
  }

  /** Runs a node until SIGTERM; returns only when start-up fails. */
  @Override
  public Integer call() throws InterruptedException {
    long begin = System.nanoTime();
    Optional<InferbusConfig> loaded = node.loadOrExplain();
    if (loaded.isEmpty()) {
      return 2;
    }
    InferbusConfig config = loaded.get();
    String nodeId = NodeIds.create(config.node().role());
    LogSetup.install(nodeId, config.log());
    Logger log = Logger.getLogger("inferbus");
    Optional<StartingServer> holding;
    try {
      holding = holdPort(config, nodeId);
    } catch (IllegalStateException e) {
      System.err.println("inferbus failed to start: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Future<InferbusNode> starting = InferbusNode.start(config, nodeId, () -> holding.ifPresent(StartingServer::close));
    AtomicBoolean shuttingDown = new AtomicBoolean();
    int[] exit = {0};
    // A SIGTERM during start-up waits for it to end before closing: exiting while ONNX Runtime loads a
    // model crashes in native code.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (starting.failed()) {
        return; // the exit after a failed start-up: nothing to drain
      }
      shuttingDown.set(true);
      log.info(() -> "SIGTERM: draining (at most " + config.drain().timeoutSeconds() + " s), then leaving");
      long since = System.nanoTime();
      starting.toCompletionStage().toCompletableFuture()
          .handle((node, failure) -> node)
          .thenCompose(node -> node == null ? CompletableFuture.completedFuture(null) : node.close().toCompletionStage())
          .join();
      log.info(() -> "stopped in " + (System.nanoTime() - since) / 1_000_000 + " ms");
    }));
    starting
        .onSuccess(node -> {
          String where = node.httpPort() > 0 ? "on http://" + config.http().host() + ":" + node.httpPort() : "as a worker";
          log.info(String.format("inferbus ready %s in %d ms (node %s, role %s%s)", where, (System.nanoTime() - begin) / 1_000_000,
              node.nodeId(), config.node().role().name().toLowerCase(Locale.ROOT), config.node().clustered() ? ", clustered" : ""));
        })
        .onFailure(failure -> {
          holding.ifPresent(StartingServer::close);
          if (!shuttingDown.get()) {
            System.err.println("inferbus failed to start: " + failure.getMessage());
            exit[0] = 1;
          }
          stopped.countDown();
        });
    stopped.await();
    return exit[0];
  }

  /** The port this node will serve, taken at once: a clash is reported before the slow part of start-up. */
  private static Optional<StartingServer> holdPort(InferbusConfig config, String nodeId) {
    if (config.node().role().servesApi()) {
      return config.http().port() == 0 ? Optional.empty()
          : Optional.of(StartingServer.open(config.http().host(), config.http().port(), "http.port / INFERBUS_HTTP_PORT", nodeId));
    }
    return config.management().port() <= 0 ? Optional.empty()
        : Optional.of(StartingServer.open(config.management().host(), config.management().port(),
            "management.port / INFERBUS_MANAGEMENT_PORT (each worker on a machine needs its own)", nodeId));
  }
}
