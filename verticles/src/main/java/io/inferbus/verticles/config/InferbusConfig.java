package io.inferbus.verticles.config;

import io.inferbus.inference.EngineOptions;
import io.inferbus.inference.ModelSpec;
import io.inferbus.inference.Priority;
import io.inferbus.inference.Task;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    DrainConfig drain,
    RedisConfig redis,
    CacheConfig cache,
    RateLimitsConfig rateLimits,
    AuthConfig auth,
    BridgeConfig bridge,
    LogConfig log) {

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

  public record DispatchConfig(int timeoutMs, int attempts, int breakerFailures, int breakerResetMs, int orphanSweepSeconds) {}

  /** @param maxQueued waiting jobs per priority level (indexed by {@code Priority.ordinal()}) */
  public record SchedulingConfig(int agingBoundSeconds, int positionUpdatesMs, List<Integer> maxQueued) {}

  public record DrainConfig(int timeoutSeconds) {}

  /**
   * @param corsOrigins origins whose pages may call the API (and use the bridge) from a browser; empty: same origin only
   * @param webPage whether the web page is served at /
   */
  public record HttpConfig(String host, int port, int maxBodyBytes, int sseHeartbeatSeconds, List<String> corsOrigins, boolean webPage) {}

  /** How this node logs: {@code json} one object a line; {@code debug} a line per job state change. */
  public record LogConfig(boolean json, boolean debug) {}

  /** The event-bus bridge for JavaScript clients. */
  public record BridgeConfig(boolean enabled, int pingTimeoutSeconds, int maxHandlersPerSocket, int maxFrameBytes) {}

  /**
   * @param url empty: no Redis (in-memory cache, per-node rate limits, jobs in the cluster's maps)
   * @param jobStore job records and event logs live in Redis and survive a restart of the whole cluster
   * @param nodeTtlSeconds with the job store: a node that has not renewed its presence this long is gone, its live jobs taken back
   */
  public record RedisConfig(String url, String keyPrefix, boolean jobStore, int commandTimeoutMs, int breakerFailures,
      int breakerResetMs, int nodeTtlSeconds) {
    public boolean configured() {
      return !url.isEmpty();
    }
  }

  /** @param maxBytes the in-memory cache's size on each node (without Redis) */
  public record CacheConfig(boolean enabled, int ttlSeconds, long maxBytes) {}

  /** @param perMinute 0: unlimited */
  public record Bucket(int perMinute, int burst) {
    public boolean unlimited() {
      return perMinute == 0;
    }
  }

  public record RateLimitsConfig(Bucket anonymous, Map<String, Bucket> tiers) {}

  /** @param sha256 hex SHA-256 of the key; the key itself is never stored */
  public record ApiKeyConfig(String name, String sha256, String tier, Priority maxPriority) {}

  public record AuthConfig(boolean anonymous, Priority anonymousMaxPriority, List<ApiKeyConfig> keys) {}

  public record LimitsConfig(int maxInputs, int maxInputChars) {}

  /** @param retainedMb heap for ended jobs in the in-memory store, per node (0: a quarter of the JVM's maximum heap) */
  public record JobsConfig(int retentionSeconds, int retainedMb, int retryAfterSeconds, int defaultDeadlineMs, int maxDeadlineMs) {
    public long retainedBytes() {
      return retainedMb > 0 ? retainedMb * 1024L * 1024L : Runtime.getRuntime().maxMemory() / 4;
    }
  }

  /**
   * @param prefetchJobs jobs a worker holds beyond those running (0: two per session)
   * @param streamIntervalMs generative jobs: how often a job's new text becomes a progress event
   */
  public record WorkerConfig(int batchItems, int batchTokens, int batchWaitMs, int prefetchJobs, int streamIntervalMs) {}

  /**
   * A generative model's continuous batching, per lane (session).
   *
   * @param maxActiveSequences sequences decoded together
   * @param maxPrefillTokens input tokens encoded in one turn, so joining work never stalls the running sequences for long
   */
  public record GenerationConfig(int maxActiveSequences, int maxPrefillTokens) {
    static final GenerationConfig NONE = new GenerationConfig(0, 0);
  }

  /**
   * @param delayMs for the noop model: how long it pretends to work per item
   * @param version part of every cached result's key: change it when the weights change under the same id
   */
  public record ModelConfig(ModelSpec spec, EngineOptions engine, int delayMs, String version, GenerationConfig generation) {
    public String id() {
      return spec.id();
    }

    /**
     * The settings besides the weights that change a result: the window size splits long texts, and
     * rows run together share the int8 model's activation scales.
     */
    public String resultParameters() {
      return "max-tokens=" + spec.maxTokens() + ";rows-per-run=" + engine.rowsPerRun();
    }
  }

  /** The model with this id; failing an exact match, the one model whose id differs only in case ("all-MiniLM-L6-v2", as Hugging Face spells it). */
  public Optional<ModelConfig> model(String id) {
    Optional<ModelConfig> exact = models.stream().filter(m -> m.id().equals(id)).findFirst();
    if (exact.isPresent()) {
      return exact;
    }
    List<ModelConfig> ignoringCase = models.stream().filter(m -> m.id().equalsIgnoreCase(id)).toList();
    return ignoringCase.size() == 1 ? Optional.of(ignoringCase.get(0)) : Optional.empty();
  }

  /** The first configured model of a task is its default. */
  public Optional<ModelConfig> defaultModel(Task task) {
    return models.stream().filter(m -> m.spec().task() == task).findFirst();
  }

  /** The same settings with the role and clustering the command line asked for. */
  public InferbusConfig withNode(NodeConfig node) {
    return new InferbusConfig(node, http, limits, jobs, scheduling, worker, models, cluster, management, dispatch, drain,
        redis, cache, rateLimits, auth, bridge, log);
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
    InferbusConfig config = new InferbusConfig(
        new NodeConfig(Role.valueOf(node.oneOf("role", "api", "worker", "all").toUpperCase(java.util.Locale.ROOT)), node.bool("cluster"), node.integer("event-loops", 0, 1024)),
        new HttpConfig(
            http.string("host"),
            http.integer("port", 0, 65535),
            http.integer("max-body-bytes", 1024, Integer.MAX_VALUE),
            http.integer("sse-heartbeat-seconds", 1, 3600),
            commaSeparated(http.optionalString("cors-origins")),
            http.bool("web-page")),
        new LimitsConfig(limits.integer("max-inputs", 1, 1_000_000), limits.integer("max-input-chars", 1, Integer.MAX_VALUE)),
        new JobsConfig(
            jobs.integer("retention-seconds", 1, Integer.MAX_VALUE),
            jobs.integer("retained-mb", 0, Integer.MAX_VALUE),
            jobs.integer("retry-after-seconds", 1, 3600),
            jobs.integer("default-deadline-ms", 1, Integer.MAX_VALUE),
            jobs.integer("max-deadline-ms", 1, Integer.MAX_VALUE)),
        scheduling(root.section("scheduling")),
        new WorkerConfig(
            worker.integer("batch-items", 1, 100_000),
            worker.integer("batch-tokens", 1, Integer.MAX_VALUE),
            worker.integer("batch-wait-ms", 0, 60_000),
            worker.integer("prefetch-jobs", 0, 100_000),
            worker.integer("stream-interval-ms", 0, 60_000)),
        models(root),
        new ClusterConfig(
            ClusterHost.resolve(cluster.string("host")),
            cluster.integer("port", 1, 65535),
            commaSeparated(cluster.string("members")),
            cluster.integer("heartbeat-timeout-seconds", 1, 3600),
            cluster.optionalString("config-file")),
        new ManagementConfig(management.string("host"), management.integer("port", -1, 65535)),
        new DispatchConfig(
            dispatch.integer("timeout-ms", 1, 3_600_000),
            dispatch.integer("attempts", 1, 1000),
            dispatch.integer("breaker-failures", 1, 1000),
            dispatch.integer("breaker-reset-ms", 1, 3_600_000),
            dispatch.integer("orphan-sweep-seconds", 1, 3600)),
        new DrainConfig(root.section("drain").integer("timeout-seconds", 0, 3600)),
        redis(root.section("redis")),
        cache(root.section("cache")),
        rateLimits(root.section("rate-limits")),
        auth(root.section("auth")),
        bridge(root.section("bridge"), http.integer("max-body-bytes", 1024, Integer.MAX_VALUE)),
        new LogConfig(root.section("log").oneOf("format", "text", "json").equals("json"), root.section("log").oneOf("level", "info", "debug").equals("debug")));
    config.checkTiers();
    config.checkAuth();
    root.checkEverythingRead();
    return config;
  }

  /** Without anonymous access a caller needs a key, so at least one must exist. */
  void checkAuth() {
    if (!auth.anonymous() && auth.keys().isEmpty()) {
      throw new ConfigException("auth.anonymous", "false, but no auth.keys are configured: nobody could call the service");
    }
  }

  private static List<String> commaSeparated(String value) {
    return Arrays.stream(value.split(",")).map(String::trim).filter(v -> !v.isEmpty()).toList();
  }

  private static RedisConfig redis(Settings r) {
    String url = r.optionalString("url");
    if (!url.isEmpty() && !url.startsWith("redis://")) {
      throw new ConfigException("redis.url", "expected redis://host:port[/db], got '" + url + "'");
    }
    boolean jobStore = r.bool("job-store");
    if (jobStore && url.isEmpty()) {
      throw new ConfigException("redis.job-store", "needs redis.url");
    }
    return new RedisConfig(url, r.string("key-prefix"), jobStore, r.integer("command-timeout-ms", 1, 600_000),
        r.integer("breaker-failures", 1, 1000), r.integer("breaker-reset-ms", 1, 3_600_000), r.integer("node-ttl-seconds", 2, 3600));
  }

  private static BridgeConfig bridge(Settings b, int maxBodyBytes) {
    int maxFrame = b.integer("max-frame-bytes", 0, Integer.MAX_VALUE);
    return new BridgeConfig(b.bool("enabled"), b.integer("ping-timeout-seconds", 5, 3600), b.integer("max-handlers-per-socket", 1, 10_000),
        maxFrame == 0 ? maxBodyBytes : maxFrame);
  }

  private static CacheConfig cache(Settings c) {
    return new CacheConfig(c.bool("enabled"), c.integer("ttl-seconds", 1, Integer.MAX_VALUE), c.integer("max-mib", 0, 1 << 20) * 1024L * 1024L);
  }

  private static RateLimitsConfig rateLimits(Settings r) {
    Settings tiers = r.section("tiers");
    Map<String, Bucket> byName = new LinkedHashMap<>();
    for (String tier : tiers.keys()) {
      byName.put(tier, bucket(tiers.section(tier)));
    }
    return new RateLimitsConfig(bucket(r.section("anonymous")), Map.copyOf(byName));
  }

  /** A burst of 0 is a minute's worth. */
  private static Bucket bucket(Settings b) {
    int perMinute = b.integer("per-minute", 0, 100_000_000);
    int burst = b.integer("burst", 0, 100_000_000);
    return new Bucket(perMinute, burst == 0 ? perMinute : burst);
  }

  private static AuthConfig auth(Settings a) {
    List<ApiKeyConfig> keys = new ArrayList<>();
    Set<String> hashes = new HashSet<>();
    for (int i = 0; i < a.list("keys").size(); i++) {
      Settings k = a.element("keys", i);
      String hash = k.string("sha256").toLowerCase(java.util.Locale.ROOT);
      if (!hash.matches("[0-9a-f]{64}")) {
        throw new ConfigException("auth.keys[" + i + "].sha256", "expected 64 hex digits (the SHA-256 of the key, never the key)");
      }
      if (!hashes.add(hash)) {
        throw new ConfigException("auth.keys[" + i + "].sha256", "the same key is listed twice");
      }
      keys.add(new ApiKeyConfig(k.string("name"), hash, k.string("tier"), priority(k, "max-priority")));
    }
    return new AuthConfig(a.bool("anonymous"), priority(a, "anonymous-max-priority"), List.copyOf(keys));
  }

  private static Priority priority(Settings s, String key) {
    return Priority.fromWireName(s.oneOf(key, Arrays.stream(Priority.values()).map(Priority::wireName).toArray(String[]::new))).orElseThrow();
  }

  /** Every API key's tier must be a configured tier. */
  void checkTiers() {
    for (int i = 0; i < auth.keys().size(); i++) {
      if (!rateLimits.tiers().containsKey(auth.keys().get(i).tier())) {
        throw new ConfigException("auth.keys[" + i + "].tier", "unknown tier '" + auth.keys().get(i).tier() + "'; tiers: " + rateLimits.tiers().keySet());
      }
    }
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

  private static String device(Settings m) {
    String device = m.string("device");
    if (!EngineOptions.validDevice(device)) {
      throw new ConfigException(m.path("device"), "expected auto, cpu, cuda or cuda:N, got '" + device + "'");
    }
    return device;
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
          m.has("delay-ms") ? m.integer("delay-ms", 0, 60_000) : 0,
          m.has("version") ? m.string("version") : "noop", GenerationConfig.NONE);
    }
    if (task.generative()) {
      return generativeModel(m, task);
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
        device(m),
        m.integer("rows-per-run", 1, 4096));
    String version = m.has("version") ? m.string("version") : m.string("model") + "|" + m.string("tokenizer") + "|" + spec.maxTokens();
    return new ModelConfig(spec, engine, 0, version, GenerationConfig.NONE);
  }

  /** An encoder-decoder in Optimum's layout: {@code model} names its directory; {@code max-tokens} is the longest input piece. */
  private static ModelConfig generativeModel(Settings m, Task task) {
    ModelSpec spec = new ModelSpec(m.string("id"), task, 0, m.integer("max-tokens", 4, 65536), m.string("model"), "");
    int sessions = m.integer("sessions", 1, 256);
    EngineOptions engine = new EngineOptions(sessions, m.integer("intra-op-threads", 1, 256), device(m), 1);
    GenerationConfig generation = new GenerationConfig(m.integer("max-active-sequences", 1, 100_000), m.integer("max-prefill-tokens", 1, 10_000_000));
    String version = m.has("version") ? m.string("version") : m.string("model") + "|" + spec.maxTokens();
    return new ModelConfig(spec, engine, 0, version, generation);
  }
}
