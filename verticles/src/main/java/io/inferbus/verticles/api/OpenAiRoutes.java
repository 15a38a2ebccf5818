package io.inferbus.verticles.api;

import io.inferbus.verticles.ErrorCode;
import static io.inferbus.verticles.api.HttpReplies.caller;
import static io.inferbus.verticles.api.HttpReplies.jsonBody;
import static io.inferbus.verticles.api.HttpReplies.respond;
import static io.inferbus.verticles.api.HttpReplies.respondError;

import io.inferbus.verticles.config.InferbusConfig;
import io.inferbus.verticles.config.InferbusConfig.ModelConfig;
import io.inferbus.verticles.jobs.JobEvent;
import io.inferbus.verticles.jobs.JobEventType;
import io.inferbus.verticles.jobs.Traceparent;
import io.inferbus.verticles.worker.WorkerDirectory;
import io.inferbus.verticles.worker.WorkerInfo;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** OpenAI-compatible endpoints: synchronous embeddings over the same job path, and the model list. */
final class OpenAiRoutes {
  private final InferbusConfig config;
  private final JobService jobs;
  private final WorkerDirectory directory;
  private final OpenStreams streams;

  OpenAiRoutes(InferbusConfig config, JobService jobs, WorkerDirectory directory, OpenStreams streams) {
    this.config = config;
    this.jobs = jobs;
    this.directory = directory;
    this.streams = streams;
  }

  void mount(Router router, BodyHandler body) {
    router.post("/v1/embeddings").handler(body).handler(HttpReplies::requireJson).handler(this::handleEmbeddings);
    router.get("/v1/models").handler(this::handleModels);
  }

  private void handleEmbeddings(RoutingContext ctx) {
    JsonObject body = jsonBody(ctx);
    boolean base64 = OpenAiEmbeddings.wantsBase64(body);
    JobSubmission submission = JobSubmission.fromEmbeddingsRequest(body, config, caller(ctx).maxPriority())
        .tracedBy(ctx.request().getHeader(Traceparent.HEADER));
    OpenAiEmbeddings.checkDimensions(body, submission.model());
    jobs.submit(caller(ctx), submission, decision -> HttpReplies.addRateLimitHeaders(ctx, decision))
        .compose(job -> awaitEnd(ctx, job.id()))
        .onSuccess(end -> {
          if (end.type() == JobEventType.SUCCEEDED) {
            respond(ctx, 200, OpenAiEmbeddings.response(submission.model().id(), end.data().getJsonObject("result"), base64));
          } else {
            respondError(ctx, jobError(end));
          }
        })
        .onFailure(ctx::fail);
  }

  /** A job that ended without a result answers with its own error code, and that code's status. */
  private static ApiError jobError(JobEvent end) {
    if (end.type() == JobEventType.CANCELLED) {
      return new ApiError(ErrorCode.CANCELLED, "the job was cancelled");
    }
    JsonObject error = end.data().getJsonObject("error", new JsonObject());
    ErrorCode code = ErrorCode.fromWireName(error.getString("code", "")).orElse(ErrorCode.INTERNAL_ERROR);
    return new ApiError(code, error.getString("message", "the job ended without a result"));
  }

  /** Waits for the job's terminal event; a client that hangs up gives up the job it was waiting for. */
  private Future<JobEvent> awaitEnd(RoutingContext ctx, String jobId) {
    Promise<JobEvent> end = Promise.promise();
    JobEventFeed feed = jobs.events(jobId, 0, false);
    ctx.response().closeHandler(v -> {
      feed.close();
      jobs.abandon(jobId);
    });
    streams.opened();
    feed.start(event -> {
      if (event.type().terminal()) {
        end.tryComplete(event);
      }
    }, () -> end.tryFail("the job's events ended without a terminal event")).onFailure(end::tryFail);
    return end.future().onComplete(v -> streams.closed());
  }

  private void handleModels(RoutingContext ctx) {
    directory.workers().onSuccess(workers -> {
      Map<String, List<WorkerInfo>> byModel = workers.stream().collect(Collectors.groupingBy(WorkerInfo::model));
      JsonArray data = new JsonArray();
      for (ModelConfig model : config.models()) {
        JsonArray where = new JsonArray();
        byModel.getOrDefault(model.id(), List.of()).forEach(w -> where.add(new JsonObject()
            .put("node", w.node()).put("device", w.device()).put("sessions", w.sessions())));
        JsonObject entry = new JsonObject()
            .put("id", model.id())
            .put("object", "model")
            .put("created", 0)
            .put("owned_by", "inferbus")
            .put("task", model.spec().task().wireName());
        if (model.spec().dimensions() > 0) {
          entry.put("dimensions", model.spec().dimensions());
        }
        data.add(entry.put(model.spec().task().generative() ? "max_input_tokens_per_piece" : "max_tokens", model.spec().maxTokens())
            .put("workers", where));
      }
      respond(ctx, 200, new JsonObject().put("object", "list").put("data", data));
    }).onFailure(ctx::fail);
  }
}
