package io.inferbus.verticles.api;

import static io.inferbus.verticles.api.HttpReplies.respond;

import io.inferbus.verticles.config.InferbusConfig;
import io.inferbus.verticles.config.InferbusConfig.ModelConfig;
import io.inferbus.verticles.redis.RedisGateway;
import io.inferbus.verticles.worker.WorkerDirectory;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.Optional;

/**
 * Liveness, readiness and metrics. Ready means a job sent now would be accepted and run: every
 * model has a worker, the node is not draining, and, where Redis holds the jobs, Redis answers
 * (the same test a submission makes). Without the job store a Redis outage only degrades.
 */
final class HealthRoutes {
  private final InferbusConfig config;
  private final JobService jobs;
  private final WorkerDirectory directory;
  private final Optional<RedisGateway> redis;
  private final PrometheusMeterRegistry registry;
  private final String nodeId;

  HealthRoutes(InferbusConfig config, JobService jobs, WorkerDirectory directory, Optional<RedisGateway> redis,
      PrometheusMeterRegistry registry, String nodeId) {
    this.config = config;
    this.jobs = jobs;
    this.directory = directory;
    this.redis = redis;
    this.registry = registry;
    this.nodeId = nodeId;
  }

  void mount(Router router) {
    router.get("/health/live").handler(ctx -> respond(ctx, 200, new JsonObject().put("status", "live").put("node", nodeId)));
    router.get("/health/ready").handler(this::handleReady);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
  }

  private void handleReady(RoutingContext ctx) {
    directory.workers().onSuccess(workers -> {
      JsonObject models = new JsonObject();
      boolean everyModelServed = true;
      for (ModelConfig model : config.models()) {
        long count = workers.stream().filter(w -> w.model().equals(model.id())).count();
        models.put(model.id(), new JsonObject().put("workers", count));
        everyModelServed &= count > 0;
      }
      boolean redisDown = redis.isPresent() && !redis.get().available();
      boolean storeDown = redisDown && config.redis().jobStore();
      String status = jobs.draining() ? "draining" : !everyModelServed ? "not_ready" : storeDown ? "store_unavailable"
          : redisDown ? "degraded" : "ready";
      JsonObject report = new JsonObject().put("status", status).put("node", nodeId).put("models", models);
      if (redisDown) {
        report.put("reason", redis.get().unavailableReason() + "; " + redis.get().whileDown());
      }
      respond(ctx, status.equals("ready") || status.equals("degraded") ? 200 : 503, report);
    }).onFailure(ctx::fail);
  }
}
