package io.inferbus.verticles.api;

import io.inferbus.verticles.access.Caller;
import io.inferbus.verticles.access.RateDecision;
import io.inferbus.verticles.access.RateLimiter;
import io.inferbus.verticles.cache.JobClaims;
import io.inferbus.verticles.cache.ResultCache;
import io.inferbus.verticles.config.InferbusConfig;
import io.inferbus.verticles.config.InferbusConfig.ModelConfig;
import io.inferbus.verticles.dispatch.JobDispatcher;
import io.inferbus.verticles.jobs.JobEvent;
import io.inferbus.verticles.jobs.JobEventType;
import io.inferbus.verticles.jobs.JobJournal;
import io.inferbus.verticles.jobs.JobRecord;
import io.inferbus.verticles.jobs.JobRequest;
import io.inferbus.verticles.jobs.JobStatus;
import io.inferbus.verticles.jobs.StoreUnavailableException;
import io.inferbus.verticles.redis.RedisGateway;
import io.inferbus.verticles.worker.WorkerDirectory;
import io.inferbus.verticles.worker.WorkerInfo;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/** The public HTTP API: jobs, their event streams, OpenAI-compatible embeddings, models, health, metrics. */
public final class ApiVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(ApiVerticle.class.getName());
  private static final String JSON = "application/json";
  private static final String CALLER = "caller";

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
  private final ApiKeys keys;
  private JobIntake intake;
  private HttpServer server;
  private int openStreams;
  private Promise<Void> draining;

  public ApiVerticle(InferbusConfig config, JobJournal journal, JobDispatcher dispatcher, WorkerDirectory directory,
      RateLimiter limiter, ResultCache cache, JobClaims claims, Optional<RedisGateway> redis,
      PrometheusMeterRegistry registry, Clock clock, String nodeId) {
    this.config = config;
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
  }

  @Override
  public Future<?> start() {
    intake = new JobIntake(vertx, config, journal, dispatcher, directory, cache, claims, this::jobStoreAvailable, clock, nodeId, registry);
    return vertx.createHttpServer()
        .requestHandler(setupRouter())
        .listen(config.http().port(), config.http().host())
        .onSuccess(s -> server = s);
  }

  /** SIGTERM: refuse new jobs, let open streams run until their jobs end or the drain timeout. */
  @Override
  public Future<?> stop() {
    draining = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, config.drain().timeoutSeconds() * 1000L), t -> draining.tryComplete());
    if (openStreams == 0) {
      draining.tryComplete();
    }
    return draining.future().onComplete(v -> vertx.cancelTimer(timer));
  }

  public int actualPort() {
    return server.actualPort();
  }

  private Router setupRouter() {
    Router router = Router.router(vertx);
    BodyHandler body = BodyHandler.create(false).setBodyLimit(config.http().maxBodyBytes());
    router.route().handler(this::addSecurityHeaders);
    if (!config.http().corsOrigins().isEmpty()) {
      router.route().handler(corsHandler());
    }
    router.route("/v1/*").handler(this::identifyCaller);
    router.post("/v1/jobs").handler(body).handler(this::requireJson).handler(this::handleSubmit);
    router.get("/v1/jobs/:id").handler(this::handleGetJob);
    router.get("/v1/jobs/:id/events").handler(this::handleJobEvents);
    router.delete("/v1/jobs/:id").handler(this::handleCancel);
    router.post("/v1/embeddings").handler(body).handler(this::requireJson).handler(this::handleEmbeddings);
    router.get("/v1/models").handler(this::handleModels);
    router.get("/health/live").handler(ctx -> respond(ctx, 200, new JsonObject().put("status", "live")));
    router.get("/health/ready").handler(this::handleReady);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    router.route().failureHandler(this::handleFailure);
    router.errorHandler(404, ctx -> respondError(ctx, new ApiError(404, "not_found", "no such route: " + ctx.request().path())));
    router.errorHandler(405, ctx -> respondError(ctx,
        new ApiError(405, "method_not_allowed", ctx.request().method() + " is not allowed on " + ctx.request().path())));
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

  private CorsHandler corsHandler() {
    return CorsHandler.create()
        .addOrigins(config.http().corsOrigins())
        .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE))
        .allowedHeaders(Set.of("Content-Type", "Accept", "Authorization", "X-API-Key", "Last-Event-ID"))
        .exposedHeaders(Set.of("Location", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"))
        .maxAgeSeconds(600);
  }

  private void identifyCaller(RoutingContext ctx) {
    ctx.put(CALLER, keys.identify(ctx.request()));
    ctx.next();
  }

  /** Takes one token from the caller's bucket for a job, refusing a priority above the caller's allowance first. */
  private Future<Void> admit(RoutingContext ctx, JobSubmission submission) {
    Caller caller = ctx.get(CALLER);
    if (!caller.mayUse(submission.priority())) {
      return Future.failedFuture(new ApiError(403, "priority_not_allowed", (caller.anonymous() ? "anonymous callers" : "this API key")
          + " may submit jobs up to priority '" + caller.maxPriority().wireName() + "'"));
    }
    return limiter.take(caller.bucketId(), caller.bucket()).compose(decision -> {
      addRateLimitHeaders(ctx, decision);
      if (decision.allowed()) {
        return Future.succeededFuture();
      }
      return Future.failedFuture(new ApiError(429, "rate_limited", "too many jobs: " + decision.bucket().perMinute() + " per minute, bursts of "
          + decision.bucket().burst() + (caller.anonymous() ? " for anonymous callers" : " for tier '" + caller.tier() + "'"),
          (int) decision.retryAfterSeconds()));
    });
  }

  private static void addRateLimitHeaders(RoutingContext ctx, RateDecision decision) {
    if (decision.bucket().unlimited()) {
      return;
    }
    ctx.response().headers()
        .set("RateLimit-Limit", String.valueOf(decision.bucket().burst()))
        .set("RateLimit-Remaining", String.valueOf(decision.remaining()))
        .set("RateLimit-Reset", String.valueOf(decision.resetSeconds()))
        .set("RateLimit-Policy", decision.bucket().burst() + ";w=" + Math.max(1, 60L * decision.bucket().burst() / decision.bucket().perMinute()));
  }

  private boolean jobStoreAvailable() {
    return !config.redis().jobStore() || redis.map(RedisGateway::available).orElse(true);
  }

  private void requireJson(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith(JSON)) {
      ctx.fail(new ApiError(415, "unsupported_media_type", "send the request body as application/json"));
    } else {
      ctx.next();
    }
  }

  private void handleSubmit(RoutingContext ctx) {
    JobSubmission submission = JobSubmission.fromJobRequest(jsonBody(ctx), config);
    boolean stream = wantsEventStream(ctx);
    admit(ctx, submission).compose(v -> accept(submission))
        .onSuccess(job -> {
          ctx.response().putHeader("Location", jobPath(job.id()));
          if (stream) {
            streamEvents(ctx, job.id(), 0, false);
          } else {
            respond(ctx, 202, job.toJson().put("events", jobPath(job.id()) + "/events"));
          }
        })
        .onFailure(ctx::fail);
  }

  private Future<JobRecord> accept(JobSubmission submission) {
    if (draining != null) {
      return Future.failedFuture(new ApiError(503, "shutting_down", "this node is shutting down; send the job to another",
          config.jobs().retryAfterSeconds()));
    }
    return intake.accept(submission);
  }

  private void handleGetJob(RoutingContext ctx) {
    findJob(ctx).onSuccess(job -> respond(ctx, 200, job.toJson())).onFailure(ctx::fail);
  }

  private void handleJobEvents(RoutingContext ctx) {
    long after = lastEventId(ctx);
    findJob(ctx).onSuccess(job -> streamEvents(ctx, job.id(), after, job.status().terminal())).onFailure(ctx::fail);
  }

  private void handleCancel(RoutingContext ctx) {
    findJob(ctx)
        .compose(job -> job.status().terminal()
            ? Future.failedFuture(alreadyEnded(job))
            : journal.cancel(job.id())
                .compose(cancelled -> cancelled.isPresent()
                    ? cancelledNow(job.id(), cancelled.get())
                    : journal.store().get(job.id()).compose(latest -> Future.failedFuture(alreadyEnded(latest.orElse(job))))))
        .onSuccess(job -> respond(ctx, 202, job.toJson()))
        .onFailure(ctx::fail);
  }

  private void handleEmbeddings(RoutingContext ctx) {
    JsonObject body = jsonBody(ctx);
    boolean base64 = OpenAiEmbeddings.wantsBase64(body);
    JobSubmission submission = JobSubmission.fromEmbeddingsRequest(body, config, ctx.<Caller>get(CALLER).maxPriority());
    OpenAiEmbeddings.checkDimensions(body, submission.model());
    admit(ctx, submission).compose(v -> accept(submission))
        .compose(job -> awaitEnd(ctx, job.id()))
        .onSuccess(end -> {
          if (end.type() == JobEventType.SUCCEEDED) {
            respond(ctx, 200, OpenAiEmbeddings.response(submission.model().id(), end.data().getJsonObject("result"), base64));
          } else {
            JsonObject error = end.data().getJsonObject("error", new JsonObject().put("code", "cancelled").put("message", "the job was cancelled"));
            respondError(ctx, new ApiError(end.type() == JobEventType.CANCELLED ? 409 : 500, error.getString("code"), error.getString("message")));
          }
        })
        .onFailure(ctx::fail);
  }

  private Future<JobRecord> cancelledNow(String id, JobRecord cancelled) {
    dispatcher.cancel(id);
    return Future.succeededFuture(cancelled);
  }

  /** Waits for the job's terminal event; a client that hangs up cancels the job it was waiting for. */
  private Future<JobEvent> awaitEnd(RoutingContext ctx, String jobId) {
    Promise<JobEvent> end = Promise.promise();
    JobEventFeed feed = new JobEventFeed(vertx.eventBus(), journal.store(), jobId, 0, false);
    ctx.response().closeHandler(v -> {
      feed.close();
      journal.cancel(jobId).onSuccess(cancelled -> cancelled.ifPresent(job -> dispatcher.cancel(jobId)));
    });
    streamOpened();
    feed.start(event -> {
      if (event.type().terminal()) {
        end.tryComplete(event);
      }
    }, () -> end.tryFail("the job's events ended without a terminal event")).onFailure(end::tryFail);
    return end.future().onComplete(v -> streamClosed());
  }

  private void handleModels(RoutingContext ctx) {
    directory.workers().onSuccess(workers -> {
      Map<String, List<WorkerInfo>> byModel = workers.stream().collect(Collectors.groupingBy(WorkerInfo::model));
      JsonArray data = new JsonArray();
      for (ModelConfig model : config.models()) {
        JsonArray where = new JsonArray();
        byModel.getOrDefault(model.id(), List.of()).forEach(w -> where.add(new JsonObject()
            .put("node", w.node()).put("device", w.device()).put("sessions", w.sessions())));
        data.add(new JsonObject()
            .put("id", model.id())
            .put("object", "model")
            .put("owned_by", "inferbus")
            .put("task", model.spec().task().wireName())
            .put("dimensions", model.spec().dimensions())
            .put("max_tokens", model.spec().maxTokens())
            .put("workers", where));
      }
      respond(ctx, 200, new JsonObject().put("object", "list").put("data", data));
    }).onFailure(ctx::fail);
  }

  private void handleReady(RoutingContext ctx) {
    directory.workers().onSuccess(workers -> {
      JsonObject models = new JsonObject();
      boolean ready = true;
      for (ModelConfig model : config.models()) {
        long count = workers.stream().filter(w -> w.model().equals(model.id())).count();
        models.put(model.id(), new JsonObject().put("workers", count));
        ready &= count > 0;
      }
      boolean redisDown = redis.isPresent() && !redis.get().available();
      String status = draining != null ? "draining" : !ready ? "not_ready" : redisDown ? "degraded" : "ready";
      JsonObject report = new JsonObject().put("status", status).put("models", models);
      if (redisDown) {
        report.put("reason", redis.get().unavailableReason() + (config.redis().jobStore()
            ? "; new jobs are refused until it is back"
            : "; the result cache is bypassed and rate limits are per node until it is back"));
      }
      boolean serving = status.equals("ready") || (status.equals("degraded") && !config.redis().jobStore());
      respond(ctx, serving ? 200 : 503, report);
    }).onFailure(ctx::fail);
  }

  /** {@code ended}: the job had ended when asked, so its log is final and the stream closes once it is sent. */
  private void streamEvents(RoutingContext ctx, String jobId, long afterSeq, boolean ended) {
    streamOpened();
    new SseStream(vertx, ctx.response(), config.http().sseHeartbeatSeconds() * 1000L)
        .stream(new JobEventFeed(vertx.eventBus(), journal.store(), jobId, afterSeq, ended), this::streamClosed);
  }

  private void streamOpened() {
    openStreams++;
  }

  private void streamClosed() {
    if (draining == null) {
      openStreams--;
    } else if (--openStreams <= 0) {
      draining.tryComplete();
    }
  }

  private Future<JobRecord> findJob(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!isUuid(id)) {
      return Future.failedFuture(jobNotFound(id));
    }
    return journal.store().get(id).compose(job -> job.map(Future::succeededFuture).orElseGet(() -> Future.failedFuture(jobNotFound(id))));
  }

  private static ApiError jobNotFound(String id) {
    return new ApiError(404, "job_not_found", "no job " + id + " (unknown, or ended longer ago than the retention time)");
  }

  private static ApiError alreadyEnded(JobRecord job) {
    return new ApiError(409, "job_finished", "job " + job.id() + " has already ended: " + job.status().wireName());
  }

  private static boolean isUuid(String id) {
    try {
      return UUID.fromString(id).toString().equals(id.toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static long lastEventId(RoutingContext ctx) {
    String value = Optional.ofNullable(ctx.request().getHeader("Last-Event-ID")).orElse(ctx.queryParams().get("last_event_id"));
    if (value == null || value.isBlank()) {
      return 0;
    }
    try {
      long seq = Long.parseLong(value.trim());
      if (seq < 0) {
        throw new NumberFormatException();
      }
      return seq;
    } catch (NumberFormatException e) {
      throw new ApiError(400, "invalid_last_event_id", "Last-Event-ID must be an event id this service sent");
    }
  }

  private static boolean wantsEventStream(RoutingContext ctx) {
    String accept = ctx.request().getHeader("Accept");
    return accept != null && accept.toLowerCase(Locale.ROOT).contains("text/event-stream");
  }

  private static JsonObject jsonBody(RoutingContext ctx) {
    Object parsed;
    try {
      parsed = ctx.body().buffer() == null ? null : Json.decodeValue(ctx.body().buffer());
    } catch (DecodeException e) {
      throw new ApiError(400, "malformed_json", "the request body is not valid JSON");
    }
    if (!(parsed instanceof JsonObject object)) {
      throw new ApiError(400, "malformed_json", "the request body must be a JSON object");
    }
    return object;
  }

  private static String jobPath(String id) {
    return "/v1/jobs/" + id;
  }

  private void handleFailure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    ApiError error;
    if (failure instanceof ApiError apiError) {
      error = apiError;
    } else if (failure instanceof StoreUnavailableException) {
      error = new ApiError(503, "store_unavailable", "the job store cannot be reached right now; retry later", config.jobs().retryAfterSeconds());
    } else if (ctx.statusCode() == 413) {
      error = new ApiError(413, "payload_too_large", "the request body is larger than " + config.http().maxBodyBytes() + " bytes");
    } else if (ctx.statusCode() == 403) {
      error = new ApiError(403, "origin_not_allowed", "pages from this origin may not call the API");
    } else if (ctx.statusCode() == 400) {
      error = new ApiError(400, "bad_request", "the request could not be read");
    } else {
      LOG.log(Level.WARNING, "unexpected failure on " + ctx.request().method() + " " + ctx.request().path(), failure);
      error = new ApiError(500, "internal_error", "the service failed to handle this request");
    }
    respondError(ctx, error);
  }

  private static void respondError(RoutingContext ctx, ApiError error) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    if (error.retryAfterSeconds() != null) {
      ctx.response().putHeader("Retry-After", String.valueOf(error.retryAfterSeconds()));
    }
    respond(ctx, error.status(), error.toJson());
  }

  private static void respond(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", JSON).end(body.toBuffer());
  }
}
