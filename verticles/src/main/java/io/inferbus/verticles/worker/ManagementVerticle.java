package io.inferbus.verticles.worker;

import io.inferbus.verticles.config.HttpServerDefaults;
import io.inferbus.verticles.config.InferbusConfig.ManagementConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.List;
import java.util.logging.Logger;

/** A worker-role node's /health and /metrics, on a management port that is not the public API. */
public final class ManagementVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(ManagementVerticle.class.getName());

  private final ManagementConfig config;
  private final WorkerDirectory directory;
  private final PrometheusMeterRegistry registry;
  private final String node;
  private final List<String> models;
  private HttpServer server;

  public ManagementVerticle(ManagementConfig config, WorkerDirectory directory, PrometheusMeterRegistry registry, String node,
      List<String> models) {
    this.config = config;
    this.directory = directory;
    this.registry = registry;
    this.node = node;
    this.models = models;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/health/live").handler(ctx -> ctx.json(new JsonObject().put("status", "live")));
    router.get("/health/ready").handler(ctx -> directory.workers().onSuccess(workers -> {
      List<String> serving = workers.stream().filter(w -> w.node().equals(node)).map(WorkerInfo::model).toList();
      boolean ready = serving.containsAll(models);
      ctx.response().setStatusCode(ready ? 200 : 503);
      ctx.json(new JsonObject().put("status", ready ? "ready" : "not_ready").put("node", node).put("models", serving));
    }).onFailure(ctx::fail));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    return vertx.createHttpServer(HttpServerDefaults.options()).requestHandler(router).listen(config.port(), config.host())
        .recover(failure -> Future.failedFuture(new IllegalStateException("cannot serve /health and /metrics on " + config.host() + ":"
            + config.port() + " (" + failure.getMessage() + "); choose another port with management.port / INFERBUS_MANAGEMENT_PORT"
            + " (each worker on a machine needs its own)")))
        .onSuccess(s -> {
          server = s;
          LOG.info(() -> "management (/health, /metrics) on http://" + config.host() + ":" + s.actualPort());
        });
  }

  public int actualPort() {
    return server.actualPort();
  }
}
