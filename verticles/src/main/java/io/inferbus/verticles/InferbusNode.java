package io.inferbus.verticles;

import io.inferbus.verticles.access.LocalRateLimiter;
import io.inferbus.verticles.access.RateLimiter;
import io.inferbus.verticles.access.RedisRateLimiter;
import io.inferbus.verticles.api.ApiVerticle;
import io.inferbus.verticles.api.JobEventRelay;
import io.inferbus.verticles.api.JobFollowers;
import io.inferbus.verticles.bus.JsonWireCodec;
import io.inferbus.inference.Task;
import io.inferbus.verticles.cache.CacheMetrics;
import io.inferbus.verticles.cache.JobClaims;
import io.inferbus.verticles.cache.LocalJobClaims;
import io.inferbus.verticles.cache.MemoryResultCache;
import io.inferbus.verticles.cache.RedisJobClaims;
import io.inferbus.verticles.cache.RedisResultCache;
import io.inferbus.verticles.cache.ResultCache;
import io.inferbus.verticles.cluster.HazelcastCluster;
import io.inferbus.verticles.config.InferbusConfig;
import io.inferbus.verticles.config.InferbusConfig.ModelConfig;
import io.inferbus.verticles.dispatch.JobDispatcher;
import io.inferbus.verticles.dispatch.JobRecovery;
import io.inferbus.verticles.dispatch.PresenceVerticle;
import io.inferbus.verticles.dispatch.RecoveryVerticle;
import io.inferbus.verticles.jobs.JobJournal;
import io.inferbus.verticles.jobs.InMemoryJobStore;
import io.inferbus.verticles.jobs.JobStore;
import io.inferbus.verticles.jobs.RecentEvents;
import io.inferbus.verticles.jobs.RedisJobStore;
import io.inferbus.verticles.jobs.HazelcastJobStore;
import io.inferbus.verticles.metrics.JobMetrics;
import io.inferbus.verticles.redis.RedisGateway;
import io.inferbus.verticles.worker.BatchWorkerVerticle;
import io.inferbus.verticles.worker.GenerationWorkerVerticle;
import io.inferbus.verticles.worker.ManagementVerticle;
import io.inferbus.verticles.worker.WorkerDirectory;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One running service node: a Vert.x instance (clustered over Hazelcast or not) with the job
 * store, the model workers and/or the HTTP API its role asks for.
 */
public final class InferbusNode {
  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(InferbusNode.class.getName());
  /** Streams mostly open within milliseconds of their job: a few seconds of this node's jobs cover them. */
  private static final int RECENT_JOBS = 1024;
  private static final Duration RECENT_JOBS_AGE = Duration.ofSeconds(5);
  private final Vertx vertx;
  private final Optional<HazelcastCluster> cluster;
  private final Optional<ApiVerticle> api;
  private final Optional<ManagementVerticle> management;
  private final String nodeId;
  private final List<String> stopOrder;
  private final JobJournal journal;
  private final Optional<RedisGateway> redis;

  private InferbusNode(Vertx vertx, Optional<HazelcastCluster> cluster, Optional<ApiVerticle> api,
      Optional<ManagementVerticle> management, String nodeId, List<String> stopOrder, JobJournal journal, Optional<RedisGateway> redis) {
    this.stopOrder = stopOrder;
    this.journal = journal;
    this.redis = redis;
    this.vertx = vertx;
    this.cluster = cluster;
    this.api = api;
    this.management = management;
    this.nodeId = nodeId;
  }

  /** For tests and tools: a node with a fresh id and no port held during start-up. */
  public static Future<InferbusNode> start(InferbusConfig config) {
    return start(config, NodeIds.create(config.node().role()), () -> {});
  }

  /**
   * Joins the cluster first when clustered (this blocks: call it from a plain thread). The
   * public server (API, or a worker's management port) is started last, once every model is
   * loaded: {@code releasePort} runs just before it binds.
   */
  public static Future<InferbusNode> start(InferbusConfig config, String nodeId, Runnable releasePort) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true));
    options.getEventBusOptions().setHost(config.cluster().host());
    options.setEventLoopPoolSize(eventLoops(config));
    VertxBuilder builder = Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry));
    if (!config.node().clustered()) {
      return deploy(builder.build(), Optional.empty(), nodeId, config, registry, releasePort);
    }
    long joining = System.nanoTime();
    HazelcastCluster cluster = HazelcastCluster.join(config.cluster(), nodeId);
    LOG.info(() -> "joined the cluster in " + (System.nanoTime() - joining) / 1_000_000 + " ms: " + cluster.members().size() + " member(s)");
    var clusterManager = cluster.clusterManager();
    io.micrometer.core.instrument.Gauge.builder("inferbus_cluster_members", () -> cluster.members().size())
        .description("Members of the Hazelcast cluster, as this node sees them")
        .register(registry);
    return builder.withClusterManager(clusterManager).buildClustered()
        .compose(vertx -> deploy(vertx, Optional.of(cluster), nodeId, config, registry, releasePort))
        .onFailure(failure -> cluster.leave());
  }

  /**
   * Vert.x's default is two event loops per core. On a node whose ONNX sessions already keep every
   * core busy, more loops only add hand-offs between threads (measured on 2 cores: +4-10 % jobs/s
   * with one loop), so such a node takes one loop per four cores unless told otherwise.
   */
  private static int eventLoops(InferbusConfig config) {
    int cores = Runtime.getRuntime().availableProcessors();
    if (config.node().eventLoops() > 0) {
      return config.node().eventLoops();
    }
    boolean runsCpuModels = config.node().role().runsModels() && config.models().stream()
        .anyMatch(m -> m.spec().task() != Task.NOOP && !m.engine().device().startsWith("cuda"));
    return runsCpuModels ? Math.max(1, cores / 4) : 2 * cores;
  }

  private static Future<InferbusNode> deploy(Vertx vertx, Optional<HazelcastCluster> cluster, String nodeId, InferbusConfig config,
      PrometheusMeterRegistry registry, Runnable releasePort) {
    Clock clock = Clock.systemUTC();
    JsonWireCodec.registerAll(vertx.eventBus());
    JobMetrics metrics = new JobMetrics(registry);
    Optional<RedisGateway> redis = RedisGateway.create(vertx, config.redis(), registry);
    Duration retention = Duration.ofSeconds(config.jobs().retentionSeconds());
    JobStore store = config.redis().jobStore() ? new RedisJobStore(redis.orElseThrow(), clock, retention)
        : cluster.isPresent() ? new HazelcastJobStore(vertx, cluster.get().instance(), clock, retention, config.jobs().retainedBytes())
        : new InMemoryJobStore(clock, retention, config.jobs().retainedBytes());
    ResultCache cache = resultCache(config, redis, registry, clock);
    JobJournal journal = new JobJournal(vertx, store, new RecentEvents(clock, RECENT_JOBS, RECENT_JOBS_AGE), cache, metrics);
    WorkerDirectory directory = new WorkerDirectory(vertx, clock);
    List<String> modelIds = config.models().stream().map(ModelConfig::id).toList();
    // Only API nodes run a JobEventRelay, which passes every job event to their dispatcher.
    JobDispatcher dispatcher = new JobDispatcher(journal, config.dispatch(), config.scheduling(), metrics, modelIds, nodeId,
        config.node().role().servesApi(), clock);
    JobRecovery recovery = new JobRecovery(journal, dispatcher, metrics, nodeId);
    Duration drain = Duration.ofSeconds(config.drain().timeoutSeconds());
    Duration agingBound = Duration.ofSeconds(config.scheduling().agingBoundSeconds());

    Future<String> dispatcherDeployment = vertx.deployVerticle(dispatcher);
    JobFollowers followers = new JobFollowers();
    Optional<Future<String>> relayDeployment = config.node().role().servesApi()
        ? Optional.of(vertx.deployVerticle(new JobEventRelay(journal.recent(), followers, dispatcher)))
        : Optional.empty();
    Optional<Future<String>> recoveryDeployment = cluster.map(c -> vertx.deployVerticle(
        new RecoveryVerticle(c, recovery, directory, config.dispatch().orphanSweepSeconds() * 1000L, clock)));
    List<Future<String>> workerDeployments = new ArrayList<>();
    if (config.node().role().runsModels()) {
      for (ModelConfig model : config.models()) {
        workerDeployments.add(vertx.deployVerticle(model.spec().task().generative()
            ? new GenerationWorkerVerticle(model, config.worker(), agingBound, drain, journal, recovery, metrics, directory, nodeId, clock)
            : new BatchWorkerVerticle(model, config.worker(), agingBound, drain, journal, recovery, metrics, directory, nodeId, clock)));
      }
    }
    Optional<ApiVerticle> api = config.node().role().servesApi()
        ? Optional.of(apiVerticle(vertx, cluster, redis, config, journal, dispatcher, directory, cache, registry, clock, nodeId, followers))
        : Optional.empty();
    Optional<ManagementVerticle> management = !config.node().role().servesApi() && config.management().port() >= 0
        ? Optional.of(new ManagementVerticle(config.management(), directory, registry, nodeId, modelIds))
        : Optional.empty();
    Optional<PresenceVerticle> presence = config.redis().jobStore() && cluster.isEmpty()
        ? Optional.of(new PresenceVerticle(redis.orElseThrow(), recovery, nodeId, config.redis().nodeTtlSeconds() * 1000L))
        : Optional.empty();

    List<Future<String>> deployments = new ArrayList<>(workerDeployments);
    deployments.add(dispatcherDeployment);
    recoveryDeployment.ifPresent(deployments::add);
    relayDeployment.ifPresent(deployments::add);
    redis.ifPresent(r -> deployments.add(r.start(redisUse(config)).map("redis")));
    // join, not all: when one model fails to load, the others finish loading before Vert.x closes
    // (closing under a loading model makes its completion land on a closed executor).
    return Future.join(deployments)
        .compose(v -> {
          releasePort.run();
          return api.map(a -> vertx.deployVerticle(a).map(Optional::of)).orElse(Future.succeededFuture(Optional.empty()));
        })
        .compose(apiId -> management.map(m -> vertx.deployVerticle(m).map(Optional::of)).orElse(Future.succeededFuture(Optional.empty()))
        .compose(managementId -> presence.map(p -> vertx.deployVerticle(p).map(Optional::of)).orElse(Future.succeededFuture(Optional.empty()))
            .map(presenceId -> {
              List<String> stopOrder = new ArrayList<>();
              apiId.ifPresent(stopOrder::add);
              managementId.ifPresent(stopOrder::add);
              workerDeployments.forEach(id -> stopOrder.add(id.result()));
              presenceId.ifPresent(stopOrder::add);
              recoveryDeployment.ifPresent(id -> stopOrder.add(id.result()));
              stopOrder.add(dispatcherDeployment.result());
              relayDeployment.ifPresent(id -> stopOrder.add(id.result()));
              return new InferbusNode(vertx, cluster, api, management, nodeId, stopOrder, journal, redis);
            })))
        .recover(failure -> vertx.close().eventually(() -> {
          cluster.ifPresent(HazelcastCluster::leave);
          return Future.succeededFuture();
        }).transform(v -> Future.failedFuture(failure)));
  }

  private static String redisUse(InferbusConfig config) {
    List<String> uses = new ArrayList<>();
    if (config.redis().jobStore()) {
      uses.add("job store (jobs survive a restart of every node)");
    }
    if (config.cache().enabled()) {
      uses.add("result cache");
    }
    uses.add("rate limits shared by every API node");
    return String.join(", ", uses);
  }

  private static ApiVerticle apiVerticle(Vertx vertx, Optional<HazelcastCluster> cluster, Optional<RedisGateway> redis, InferbusConfig config,
      JobJournal journal, JobDispatcher dispatcher, WorkerDirectory directory, ResultCache cache, PrometheusMeterRegistry registry,
      Clock clock, String nodeId, JobFollowers followers) {
    LocalRateLimiter localLimits = new LocalRateLimiter(clock::millis);
    RateLimiter limiter = redis.<RateLimiter>map(r -> new RedisRateLimiter(r, localLimits)).orElse(localLimits);
    LocalJobClaims localClaims = new LocalJobClaims(clock::millis);
    // A follower hears of its leader's end over the event bus: only clustered nodes share one.
    JobClaims claims = redis.filter(r -> cluster.isPresent()).<JobClaims>map(r -> new RedisJobClaims(r, localClaims)).orElse(localClaims);
    return new ApiVerticle(config, journal, dispatcher, directory, limiter, cache, claims, redis, registry, clock, nodeId, followers);
  }

  private static ResultCache resultCache(InferbusConfig config, Optional<RedisGateway> redis, PrometheusMeterRegistry registry, Clock clock) {
    long ttlMillis = config.cache().ttlSeconds() * 1000L;
    if (redis.isPresent()) {
      return new RedisResultCache(redis.get(), ttlMillis, new CacheMetrics(registry, "redis"));
    }
    return new MemoryResultCache(config.cache().maxBytes(), ttlMillis, clock::millis, new CacheMetrics(registry, "memory"));
  }

  /** The public API port; -1 on a worker-role node. */
  public int httpPort() {
    return api.map(ApiVerticle::actualPort).orElse(-1);
  }

  /** The management port of a worker-role node; -1 when it has none. */
  public int managementPort() {
    return management.map(ManagementVerticle::actualPort).orElse(-1);
  }

  public String nodeId() {
    return nodeId;
  }

  public Vertx vertx() {
    return vertx;
  }

  /**
   * Stops taking jobs, drains and undeploys the workers (they hand back what they cannot finish),
   * then the rest, and only then lets go of Redis and leaves the cluster: hand-backs need the store.
   */
  public Future<Void> close() {
    Future<Void> undeployed = Future.succeededFuture();
    for (String id : stopOrder) {
      undeployed = undeployed.eventually(() -> vertx.undeploy(id));
    }
    return undeployed
        .eventually(() -> {
          journal.close();
          return redis.map(RedisGateway::close).orElse(Future.succeededFuture());
        })
        .eventually(vertx::close)
        .eventually(() -> {
      cluster.ifPresent(HazelcastCluster::leave);
      return Future.succeededFuture();
    });
  }
}
