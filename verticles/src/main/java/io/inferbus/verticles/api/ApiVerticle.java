package io.inferbus.verticles.api;

import io.inferbus.verticles.ErrorCode;
import static io.inferbus.verticles.api.HttpReplies.respondError;

import io.inferbus.verticles.access.RateLimiter;
import io.inferbus.verticles.cache.JobClaims;
import io.inferbus.verticles.cache.ResultCache;
import io.inferbus.verticles.config.HttpServerDefaults;
import io.inferbus.verticles.config.InferbusConfig;
import io.inferbus.verticles.dispatch.JobDispatcher;
import io.inferbus.verticles.jobs.JobJournal;
import io.inferbus.verticles.config.InferbusConfig.ModelConfig;
import io.inferbus.verticles.jobs.StoreUnavailableException;
import io.inferbus.verticles.metrics.JobMetrics;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import io.inferbus.verticles.redis.RedisGateway;
import io.inferbus.verticles.worker.WorkerDirectory;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The public HTTP server: what every request goes through (security headers, URL check, CORS,
 * who is calling), the route groups, and one failure handler that turns every failure into the
 * error JSON. On SIGTERM it refuses new jobs and keeps open streams until their jobs end.
 */
public final class ApiVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(ApiVerticle.class.getName());

  private final InferbusConfig config;
  private final JobJournal journal;
  private final JobDispatcher dispatcher;
  private final WorkerDirectory directory;
  private final RateLimiter limiter;
  private final ResultCache cache;
  private final JobClaims claims;
  private final Optional<RedisGateway> redis;
  private final PrometheusMeterRegistry registry;
  private final Clock clock;
  private final String nodeId;
  private final JobFollowers followers;
  private final ApiKeys keys;
  private final JobMetrics metrics;
  private final Map<String, Integer> workersPerModel = new ConcurrentHashMap<>();
  private JobService jobs;
  private OpenStreams streams;
  private HttpServer server;

  public ApiVerticle(InferbusConfig config, JobJournal journal, JobDispatcher dispatcher, WorkerDirectory directory,
      RateLimiter limiter, ResultCache cache, JobClaims claims, Optional<RedisGateway> redis,
      PrometheusMeterRegistry registry, Clock clock, String nodeId, JobFollowers followers) {
    this.config = config;
    this.followers = followers;
    this.journal = journal;
    this.dispatcher = dispatcher;
    this.directory = directory;
    this.limiter = limiter;
    this.cache = cache;
    this.claims = claims;
    this.redis = redis;
    this.registry = registry;
    this.clock = clock;
    this.nodeId = nodeId;
    this.keys = new ApiKeys(config.auth(), config.rateLimits());
    this.metrics = new JobMetrics(registry);
  }

  /** Workers per model as this node sees them, refreshed each second: a model at 0 cannot be served. */
  private void watchWorkersPerModel() {
    for (ModelConfig model : config.models()) {
      metrics.watch("inferbus_model_workers", "Workers serving the model, as this API node sees them", () -> workersPerModel.getOrDefault(model.id(), 0),
          "model", model.id());
    }
    vertx.setPeriodic(1, 1000, t -> directory.workers().onSuccess(workers -> {
      Map<String, Integer> counts = new HashMap<>();
      workers.forEach(w -> counts.merge(w.model(), 1, Integer::sum));
      config.models().forEach(m -> workersPerModel.put(m.id(), counts.getOrDefault(m.id(), 0)));
    }));
  }

  @Override
  public Future<?> start() {
    JobEventFeeds feeds = new JobEventFeeds(vertx, journal, followers);
    JobIntake intake = new JobIntake(config, journal, dispatcher, directory, cache, claims, feeds, this::jobStoreAvailable, clock,
        nodeId, registry);
    jobs = new JobService(config, intake, journal, dispatcher, limiter, feeds);
    streams = new OpenStreams(vertx);
    metrics.watch("inferbus_open_streams", "SSE streams, waiting synchronous calls and bridge subscriptions open on this API node", streams::count);
    watchWorkersPerModel();
    String address = config.http().host() + ":" + config.http().port();
    return vertx.createHttpServer(HttpServerDefaults.options())
        .requestHandler(setupRouter())
        .listen(config.http().port(), config.http().host())
        .recover(failure -> Future.failedFuture(new IllegalStateException("cannot serve HTTP on " + address + " ("
            + failure.getMessage() + "); choose another with http.port / INFERBUS_HTTP_PORT or http.host / INFERBUS_HTTP_HOST")))
        .onSuccess(s -> server = s);
  }

  /** SIGTERM: refuse new jobs, let open streams run until their jobs end or the drain timeout. */
  @Override
  public Future<?> stop() {
    jobs.startDraining();
    if (streams.count() > 0) {
      LOG.info(() -> "draining: new jobs are refused; waiting for " + streams.count() + " open stream(s) to end (at most "
          + config.drain().timeoutSeconds() + " s)");
    }
    return streams.drain(config.drain().timeoutSeconds() * 1000L);
  }

  public int actualPort() {
    return server.actualPort();
  }

  private Router setupRouter() {
    Router router = Router.router(vertx);
    BodyHandler body = BodyHandler.create(false).setBodyLimit(config.http().maxBodyBytes());
    router.route().handler(this::addSecurityHeaders);
    router.route().handler(this::refuseUndecodableUrls);
    if (!config.http().corsOrigins().isEmpty()) {
      router.route().handler(corsHandler());
    }
    router.route("/v1/*").handler(this::identifyCaller);
    new JobRoutes(vertx, config, jobs, streams).mount(router, body);
    new OpenAiRoutes(config, jobs, directory, streams).mount(router, body);
    new HealthRoutes(config, jobs, directory, redis, registry, nodeId).mount(router);
    if (config.bridge().enabled()) {
      new BridgeRoutes(vertx, config, jobs, keys, streams, registry).mount(router);
    }
    if (config.http().webPage()) {
      new PageRoutes().mount(router);
    }
    router.route().failureHandler(this::handleFailure);
    router.errorHandler(404, ctx -> respondError(ctx, new ApiError(ErrorCode.NOT_FOUND, "no such route: " + safePath(ctx))));
    router.errorHandler(405, ctx -> respondError(ctx,
        new ApiError(ErrorCode.METHOD_NOT_ALLOWED, ctx.request().method() + " is not allowed on " + safePath(ctx))));
    return router;
  }

  /** Every answer, errors included: nothing here is meant to be framed, sniffed, cached by proxies or run as a page. */
  private void addSecurityHeaders(RoutingContext ctx) {
    ctx.response().headers()
        .set("X-Content-Type-Options", "nosniff")
        .set("X-Frame-Options", "DENY")
        .set("Referrer-Policy", "no-referrer")
        .set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        .set("Cache-Control", "no-store");
    ctx.next();
  }

  /**
   * A path or query with a broken percent-escape ({@code /v1/jobs/%ZZ}) would fail inside route
   * matching, where Vert.x logs a stack trace per request: a hostile client could fill disks. It is
   * answered here, before any route looks at it.
   */
  private void refuseUndecodableUrls(RoutingContext ctx) {
    try {
      ctx.normalizedPath();
      ctx.queryParams();
    } catch (IllegalArgumentException e) {
      respondError(ctx, new ApiError(ErrorCode.BAD_REQUEST, "the URL has an invalid percent-encoding"));
      return;
    }
    ctx.next();
  }

  private CorsHandler corsHandler() {
    return CorsHandler.create()
        .addOrigins(config.http().corsOrigins())
        .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE))
        .allowedHeaders(Set.of("Content-Type", "Accept", "Authorization", "X-API-Key", "Last-Event-ID"))
        .exposedHeaders(Set.of("Location", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"))
        .maxAgeSeconds(600);
  }

  private void identifyCaller(RoutingContext ctx) {
    String ip = ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().host();
    ctx.put(HttpReplies.CALLER, keys.identify(ctx.request().getHeader("Authorization"), ctx.request().getHeader("X-API-Key"), ip));
    ctx.next();
  }

  private boolean jobStoreAvailable() {
    return !config.redis().jobStore() || redis.map(RedisGateway::available).orElse(true);
  }

  private void handleFailure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    ApiError error;
    if (failure instanceof ApiError apiError) {
      error = apiError;
    } else if (failure instanceof StoreUnavailableException) {
      error = ApiError.storeUnavailable(config.jobs().retryAfterSeconds());
    } else if (ctx.statusCode() == 413) {
      error = new ApiError(ErrorCode.PAYLOAD_TOO_LARGE, "the request body is larger than " + config.http().maxBodyBytes() + " bytes");
    } else if (ctx.statusCode() == 403) {
      error = new ApiError(ErrorCode.ORIGIN_NOT_ALLOWED, "pages from this origin may not call the API");
    } else if (ctx.statusCode() == 400) {
      error = new ApiError(ErrorCode.BAD_REQUEST, "the request could not be read");
    } else {
      // One line, never a stack trace: the log must not grow with what clients send.
      LOG.warning(() -> "unexpected failure on " + ctx.request().method() + " " + safePath(ctx) + ": " + describe(ctx));
      error = new ApiError(ErrorCode.INTERNAL_ERROR, "the service failed to handle this request");
    }
    metrics.refused(error.code().wireName(), error.status());
    respondError(ctx, error);
  }

  private static String describe(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    return failure == null ? "status " + ctx.statusCode()
        : failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
  }

  /** The raw path, cut short: it is echoed in messages and logs. */
  private static String safePath(RoutingContext ctx) {
    String path = ctx.request().path();
    return path.length() > 200 ? path.substring(0, 200) + "…" : path;
  }
}
