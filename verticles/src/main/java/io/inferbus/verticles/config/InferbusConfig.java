package io.inferbus.verticles.config;

import io.inferbus.inference.EngineOptions;
import io.inferbus.inference.ModelSpec;
import io.inferbus.inference.Priority;
import io.inferbus.inference.Task;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

public record InferbusConfig(
    NodeConfig node,
    HttpConfig http,
    LimitsConfig limits,
    JobsConfig jobs,
    SchedulingConfig scheduling,
    WorkerConfig worker,
    List<ModelConfig> models,
    ClusterConfig cluster,
    ManagementConfig management,
    DispatchConfig dispatch,
    DrainConfig drain) {

  public enum Role {
    API, WORKER, ALL;

    public boolean servesApi() {
      return this != WORKER;
    }

    public boolean runsModels() {
      return this != API;
    }
  }

  /** @param eventLoops Vert.x event-loop threads; 0 = Vert.x's default */
  public record NodeConfig(Role role, boolean clustered, int eventLoops) {}

  /** @param members host, host:port or host:first-last port ranges */
  public record ClusterConfig(String host, int port, List<String> members, int heartbeatTimeoutSeconds, String configFile) {}

  /** @param port 0: any free port; -1: no management server */
  public record ManagementConfig(String host, int port) {}

  public record DispatchConfig(int timeoutMs, int breakerFailures, int breakerResetMs, int orphanSweepSeconds) {}

  /** @param maxQueued waiting jobs per priority level (indexed by {@code Priority.ordinal()}) */
  public record SchedulingConfig(int agingBoundSeconds, int positionUpdatesMs, List<Integer> maxQueued) {}

  public record DrainConfig(int timeoutSeconds) {}

  public record HttpConfig(String host, int port, int maxBodyBytes, int sseHeartbeatSeconds) {}

  public record LimitsConfig(int maxInputs, int maxInputChars) {}

  public record JobsConfig(int retentionSeconds, int retryAfterSeconds, int defaultDeadlineMs, int maxDeadlineMs) {}

  /** @param prefetchJobs jobs a worker holds beyond those running (0: two per session) */
  public record WorkerConfig(int batchItems, int batchTokens, int batchWaitMs, int prefetchJobs) {}

  /** @param delayMs for the noop model: how long it pretends to work per item */
  public record ModelConfig(ModelSpec spec, EngineOptions engine, int delayMs) {
    public String id() {
      return spec.id();
    }
  }

  public Optional<ModelConfig> model(String id) {
    return models.stream().filter(m -> m.id().equals(id)).findFirst();
  }

  /** The first configured model of a task is its default. */
  public Optional<ModelConfig> defaultModel(Task task) {
    return models.stream().filter(m -> m.spec().task() == task).findFirst();
  }

  /** The same settings with the role and clustering the command line asked for. */
  public InferbusConfig withNode(NodeConfig node) {
    return new InferbusConfig(node, http, limits, jobs, scheduling, worker, models, cluster, management, dispatch, drain);
  }

  static InferbusConfig from(JsonObject tree) {
    Settings root = new Settings(tree, "");
    Settings node = root.section("node");
    Settings http = root.section("http");
    Settings limits = root.section("limits");
    Settings jobs = root.section("jobs");
    Settings worker = root.section("worker");
    Settings cluster = root.section("cluster");
    Settings management = root.section("management");
    Settings dispatch = root.section("dispatch");
    return new InferbusConfig(
        new NodeConfig(Role.valueOf(node.oneOf("role", "api", "worker", "all").toUpperCase(java.util.Locale.ROOT)), node.bool("cluster"), node.integer("event-loops", 0, 1024)),
        new HttpConfig(
            http.string("host"),
            http.integer("port", 0, 65535),
            http.integer("max-body-bytes", 1024, Integer.MAX_VALUE),
            http.integer("sse-heartbeat-seconds", 1, 3600)),
        new LimitsConfig(limits.integer("max-inputs", 1, 1_000_000), limits.integer("max-input-chars", 1, Integer.MAX_VALUE)),
        new JobsConfig(
            jobs.integer("retention-seconds", 1, Integer.MAX_VALUE),
            jobs.integer("retry-after-seconds", 1, 3600),
            jobs.integer("default-deadline-ms", 1, Integer.MAX_VALUE),
            jobs.integer("max-deadline-ms", 1, Integer.MAX_VALUE)),
        scheduling(root.section("scheduling")),
        new WorkerConfig(
            worker.integer("batch-items", 1, 100_000),
            worker.integer("batch-tokens", 1, Integer.MAX_VALUE),
            worker.integer("batch-wait-ms", 0, 60_000),
            worker.integer("prefetch-jobs", 0, 100_000)),
        models(root),
        new ClusterConfig(
            cluster.string("host"),
            cluster.integer("port", 1, 65535),
            Arrays.stream(cluster.string("members").split(",")).map(String::trim).filter(m -> !m.isEmpty()).toList(),
            cluster.integer("heartbeat-timeout-seconds", 1, 3600),
            cluster.optionalString("config-file")),
        new ManagementConfig(management.string("host"), management.integer("port", -1, 65535)),
        new DispatchConfig(
            dispatch.integer("timeout-ms", 1, 3_600_000),
            dispatch.integer("breaker-failures", 1, 1000),
            dispatch.integer("breaker-reset-ms", 1, 3_600_000),
            dispatch.integer("orphan-sweep-seconds", 1, 3600)),
        new DrainConfig(root.section("drain").integer("timeout-seconds", 0, 3600)));
  }

  private static List<ModelConfig> models(Settings root) {
    int count = root.list("models").size();
    if (count == 0) {
      throw new ConfigException("models", "at least one model is needed");
    }
    List<ModelConfig> models = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < count; i++) {
      ModelConfig model = model(root.element("models", i));
      if (!ids.add(model.id())) {
        throw new ConfigException("models[" + i + "].id", "duplicate id " + model.id());
      }
      models.add(model);
    }
    return List.copyOf(models);
  }

  private static SchedulingConfig scheduling(Settings s) {
    Settings max = s.section("max-queued");
    List<Integer> maxQueued = Arrays.stream(Priority.values()).map(p -> max.integer(p.wireName(), 1, 10_000_000)).toList();
    return new SchedulingConfig(s.integer("aging-bound-seconds", 3, 86_400), s.integer("position-updates-ms", 50, 3_600_000), maxQueued);
  }

  private static ModelConfig model(Settings m) {
    Task task = Task.fromWireName(m.oneOf("task", Arrays.stream(Task.values()).map(Task::wireName).toArray(String[]::new))).orElseThrow();
    if (task == Task.NOOP) {
      int sessions = m.has("sessions") ? m.integer("sessions", 0, 256) : 0;
      return new ModelConfig(new ModelSpec(m.string("id"), task, 0, 0, "", ""),
          new EngineOptions(sessions == 0 ? Runtime.getRuntime().availableProcessors() : sessions, 1, "cpu", 1),
          m.has("delay-ms") ? m.integer("delay-ms", 0, 60_000) : 0);
    }
    ModelSpec spec = new ModelSpec(
        m.string("id"),
        task,
        m.integer("dimensions", 1, 65536),
        m.integer("max-tokens", 8, 65536),
        m.string("model"),
        m.string("tokenizer"));
    int sessions = m.integer("sessions", 0, 256);
    EngineOptions engine = new EngineOptions(
        sessions == 0 ? Runtime.getRuntime().availableProcessors() : sessions,
        m.integer("intra-op-threads", 1, 256),
        m.oneOf("device", "cpu", "cuda"),
        m.integer("rows-per-run", 1, 4096));
    return new ModelConfig(spec, engine, 0);
  }
}
