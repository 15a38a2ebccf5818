package io.inferbus.verticles;

import io.inferbus.verticles.config.ConfigException;
import io.inferbus.verticles.config.ConfigLoader;
import io.inferbus.verticles.config.InferbusConfig;
import io.inferbus.verticles.config.InferbusConfig.NodeConfig;
import io.inferbus.verticles.config.InferbusConfig.Role;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

public final class Main {
  private static final String USAGE = """
      Usage: java -jar inferbus.jar [options]

      Runs the inferbus service: HTTP API, event bus and ONNX model workers in one JVM.
      With no options it serves whoever calls it on this machine (127.0.0.1:8080), with no
      limits, no Redis and no network.

      Options:
        --conf FILE          YAML or JSON settings laid over the packaged defaults; may be given
                             several times, each laid over the ones before
        --profile NAME       packaged settings laid over the defaults before any --conf file:
                             'production' binds 0.0.0.0, limits anonymous callers and key tiers,
                             and keeps jobs and cache in Redis (see conf/production.yaml)
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
      INFERBUS_MODELS_0_SESSIONS=4. A variable one index past the end of a list adds an entry
      (the defaults list two models): INFERBUS_MODELS_2_ID=noop INFERBUS_MODELS_2_TASK=noop serves
      the noop model too. A variable
      or key that names no setting stops start-up. See README.md for every setting.
      """;

  private Main() {}

  private record Options(List<String> profiles, List<Path> confFiles, Optional<Boolean> clustered, Optional<Role> role) {}

  public static void main(String[] args) throws InterruptedException {
    System.setProperty("java.util.logging.manager", LogManagerUntilExit.class.getName());
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      System.out.print(USAGE);
      return;
    }
    Options options = parse(args);
    long begin = System.nanoTime();
    InferbusConfig config;
    try {
      InferbusConfig loaded = ConfigLoader.load(options.profiles(), options.confFiles(), System.getenv());
      config = loaded.withNode(new NodeConfig(options.role().orElse(loaded.node().role()),
          options.clustered().orElse(loaded.node().clustered()), loaded.node().eventLoops()));
    } catch (ConfigException e) {
      fail(e.getMessage());
      return;
    }
    String nodeId = NodeIds.create(config.node().role());
    LogSetup.install(nodeId);
    Logger log = Logger.getLogger("inferbus");
    Optional<StartingServer> holding;
    try {
      holding = holdPort(config, nodeId);
    } catch (IllegalStateException e) {
      System.err.println("inferbus failed to start: " + e.getMessage());
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Future<InferbusNode> starting = InferbusNode.start(config, nodeId, () -> holding.ifPresent(StartingServer::close));
    AtomicBoolean shuttingDown = new AtomicBoolean();
    // A SIGTERM during start-up waits for it to end before closing: exiting while ONNX Runtime loads a
    // model crashes in native code.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
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
          stopped.countDown();
          if (!shuttingDown.get()) {
            System.err.println("inferbus failed to start: " + failure.getMessage());
            System.exit(1);
          }
        });
    stopped.await();
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

  private static Options parse(String[] args) {
    List<String> profiles = new ArrayList<>();
    List<Path> confFiles = new ArrayList<>();
    Boolean clustered = null;
    Role role = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--conf", "-conf" -> confFiles.add(Path.of(value(args, ++i, "--conf needs a file name")));
        case "--profile" -> profiles.add(value(args, ++i, "--profile needs a name, e.g. production"));
        case "--cluster" -> clustered = true;
        case "--role" -> {
          String name = value(args, ++i, "--role needs api, worker or all");
          if (!List.of("api", "worker", "all").contains(name)) {
            fail("--role needs api, worker or all, got '" + name + "'");
          }
          role = Role.valueOf(name.toUpperCase(Locale.ROOT));
        }
        default -> fail("unknown option " + args[i] + " (try --help)");
      }
    }
    return new Options(profiles, confFiles, Optional.ofNullable(clustered), Optional.ofNullable(role));
  }

  private static String value(String[] args, int i, String missing) {
    if (i >= args.length || args[i].startsWith("--")) {
      fail(missing);
    }
    return args[i];
  }

  private static void fail(String message) {
    System.err.println("inferbus: " + message);
    System.exit(2);
  }
}
