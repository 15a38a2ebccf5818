package io.inferbus.verticles;

import io.inferbus.verticles.config.ConfigException;
import io.inferbus.verticles.config.ConfigLoader;
import io.inferbus.verticles.config.InferbusConfig;
import io.inferbus.verticles.config.InferbusConfig.NodeConfig;
import io.inferbus.verticles.config.InferbusConfig.Role;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** How a node's settings are chosen on the command line: shared by the node itself and its health probe. */
public final class NodeOptions {
  @Option(names = {"--conf", "-conf"}, paramLabel = "FILE",
      description = "YAML or JSON settings laid over the packaged defaults; may be given several times, each laid over the ones before")
  private List<Path> confFiles = new ArrayList<>();

  @Option(names = "--profile", paramLabel = "NAME",
      description = "packaged settings laid over the defaults before any --conf file: 'production' binds 0.0.0.0, limits anonymous "
          + "callers and key tiers, and keeps jobs and cache in Redis (conf/production.yaml)")
  private List<String> profiles = new ArrayList<>();

  @Option(names = "--cluster", description = "join a Hazelcast cluster (cluster.* settings; cluster.xml in the jar)")
  private boolean cluster;

  @Option(names = "--role", paramLabel = "ROLE", converter = RoleConverter.class,
      description = "api: HTTP/SSE only, no model; worker: models, no public HTTP (health and metrics on management.port); all: both (default)")
  private Role role;

  /** The packaged defaults, the profiles, the files and the environment, with the command line's role and clustering. */
  InferbusConfig load() throws ConfigException {
    InferbusConfig loaded = ConfigLoader.load(profiles, confFiles, System.getenv());
    return loaded.withNode(new NodeConfig(Optional.ofNullable(role).orElse(loaded.node().role()),
        cluster || loaded.node().clustered(), loaded.node().eventLoops()));
  }

  /** {@link #load()}, or empty after printing why the settings are bad (the command then exits 2). */
  Optional<InferbusConfig> loadOrExplain() {
    try {
      return Optional.of(load());
    } catch (ConfigException e) {
      System.err.println("inferbus: " + e.getMessage());
      return Optional.empty();
    }
  }

  static final class RoleConverter implements CommandLine.ITypeConverter<Role> {
    @Override
    public Role convert(String value) {
      if (!List.of("api", "worker", "all").contains(value)) {
        throw new CommandLine.TypeConversionException("--role needs api, worker or all, got '" + value + "'");
      }
      return Role.valueOf(value.toUpperCase(Locale.ROOT));
    }
  }
}
