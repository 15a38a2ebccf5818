package io.inferbus.verticles;

import io.inferbus.verticles.api.ApiVerticle;
import io.inferbus.verticles.cluster.HazelcastCluster;
import io.inferbus.verticles.config.InferbusConfig;
import io.inferbus.verticles.config.InferbusConfig.ModelConfig;
import io.inferbus.verticles.dispatch.JobDispatcher;
import io.inferbus.verticles.dispatch.JobRecovery;
import io.inferbus.verticles.dispatch.RecoveryVerticle;
import io.inferbus.verticles.jobs.JobJournal;
import io.inferbus.verticles.jobs.SharedDataJobStore;
import io.inferbus.verticles.metrics.JobMetrics;
import io.inferbus.verticles.worker.ModelWorkerVerticle;
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
import java.util.UUID;

/**
 * One running service node: a Vert.x instance (clustered over Hazelcast or not) with the job
 * store, the model workers and/or the HTTP API its role asks for.
 */
public final class InferbusNode {
  private final Vertx vertx;
  private final Optional<HazelcastCluster> cluster;
  private final Optional<ApiVerticle> api;
  private final Optional<ManagementVerticle> management;
  private final String nodeId;

  private InferbusNode(Vertx vertx, Optional<HazelcastCluster> cluster, Optional<ApiVerticle> api,
      Optional<ManagementVerticle> management, String nodeId) {
    this.vertx = vertx;
    this.cluster = cluster;
    this.api = api;
    this.management = management;
    this.nodeId = nodeId;
  }

  /** Joins the cluster first when clustered (this blocks: call it from a plain thread). */
  public static Future<InferbusNode> start(InferbusConfig config) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true));
    options.getEventBusOptions().setHost(config.cluster().host());
    if (config.node().eventLoops() > 0) {
      options.setEventLoopPoolSize(config.node().eventLoops());
    }
    VertxBuilder builder = Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry));
    if (!config.node().clustered()) {
      String nodeId = "local-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
      return deploy(builder.build(), Optional.empty(), nodeId, config, registry);
    }
    HazelcastCluster cluster = HazelcastCluster.join(config.cluster());
    var clusterManager = cluster.clusterManager();
    return builder.withClusterManager(clusterManager).buildClustered()
        .compose(vertx -> deploy(vertx, Optional.of(cluster), clusterManager.getNodeId(), config, registry))
        .onFailure(failure -> cluster.leave());
  }

  private static Future<InferbusNode> deploy(Vertx vertx, Optional<HazelcastCluster> cluster, String nodeId, InferbusConfig config,
      PrometheusMeterRegistry registry) {
    Clock clock = Clock.systemUTC();
    JobMetrics metrics = new JobMetrics(registry);
    JobJournal journal = new JobJournal(
        new SharedDataJobStore(vertx.sharedData(), clock, Duration.ofSeconds(config.jobs().retentionSeconds())), vertx.eventBus(), metrics);
    WorkerDirectory directory = new WorkerDirectory(vertx);
    List<String> modelIds = config.models().stream().map(ModelConfig::id).toList();
    JobDispatcher dispatcher = new JobDispatcher(journal, config.dispatch(), config.scheduling(), metrics, modelIds);
    JobRecovery recovery = new JobRecovery(journal, dispatcher, metrics, nodeId);
    Duration drain = Duration.ofSeconds(config.drain().timeoutSeconds());
    Duration agingBound = Duration.ofSeconds(config.scheduling().agingBoundSeconds());

    List<Future<?>> deployments = new ArrayList<>();
    deployments.add(vertx.deployVerticle(dispatcher));
    cluster.ifPresent(c -> deployments.add(vertx.deployVerticle(
        new RecoveryVerticle(c, recovery, directory, config.dispatch().orphanSweepSeconds() * 1000L))));
    if (config.node().role().runsModels()) {
      for (ModelConfig model : config.models()) {
        deployments.add(vertx.deployVerticle(new ModelWorkerVerticle(
            model, config.worker(), agingBound, drain, journal, recovery, metrics, directory, nodeId)));
      }
    }
    Optional<ApiVerticle> api = Optional.empty();
    if (config.node().role().servesApi()) {
      api = Optional.of(new ApiVerticle(config, journal, dispatcher, directory, registry, clock, nodeId));
      deployments.add(vertx.deployVerticle(api.get()));
    }
    Optional<ManagementVerticle> management = Optional.empty();
    if (!config.node().role().servesApi() && config.management().port() >= 0) {
      management = Optional.of(new ManagementVerticle(config.management(), directory, registry, nodeId, modelIds));
    }
    Optional<ApiVerticle> deployedApi = api;
    Optional<ManagementVerticle> deployedManagement = management;
    return Future.all(deployments)
        .compose(v -> deployedManagement.map(m -> vertx.deployVerticle(m).mapEmpty()).orElse(Future.succeededFuture()))
        .map(v -> new InferbusNode(vertx, cluster, deployedApi, deployedManagement, nodeId))
        .recover(failure -> vertx.close().eventually(() -> {
          cluster.ifPresent(HazelcastCluster::leave);
          return Future.succeededFuture();
        }).transform(v -> Future.failedFuture(failure)));
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

  /** Drains and undeploys every verticle (workers hand back what they cannot finish), then leaves the cluster. */
  public Future<Void> close() {
    return vertx.close().eventually(() -> {
      cluster.ifPresent(HazelcastCluster::leave);
      return Future.succeededFuture();
    });
  }
}
