package io.inferbus.verticles.api;

import io.inferbus.verticles.ErrorCode;
import static io.inferbus.verticles.api.HttpReplies.caller;
import static io.inferbus.verticles.api.HttpReplies.jsonBody;
import static io.inferbus.verticles.api.HttpReplies.respond;

import io.inferbus.verticles.config.InferbusConfig;
import io.inferbus.verticles.jobs.Traceparent;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Locale;
import java.util.Optional;

/** The job API: submit (answered at once, or streamed as SSE), read, follow and cancel a job. */
final class JobRoutes {
  private final Vertx vertx;
  private final InferbusConfig config;
  private final JobService jobs;
  private final OpenStreams streams;

  JobRoutes(Vertx vertx, InferbusConfig config, JobService jobs, OpenStreams streams) {
    this.vertx = vertx;
    this.config = config;
    this.jobs = jobs;
    this.streams = streams;
  }

  void mount(Router router, BodyHandler body) {
    router.post("/v1/jobs").handler(body).handler(HttpReplies::requireJson).handler(this::handleSubmit);
    router.get("/v1/jobs/:id").handler(this::handleGetJob);
    router.get("/v1/jobs/:id/events").handler(this::handleJobEvents);
    router.delete("/v1/jobs/:id").handler(this::handleCancel);
  }

  private void handleSubmit(RoutingContext ctx) {
    JobSubmission submission = JobSubmission.fromJobRequest(jsonBody(ctx), config).tracedBy(ctx.request().getHeader(Traceparent.HEADER));
    boolean stream = wantsEventStream(ctx);
    jobs.submit(caller(ctx), submission, decision -> HttpReplies.addRateLimitHeaders(ctx, decision))
        .onSuccess(job -> {
          ctx.response().putHeader("Location", jobPath(job.id()));
          if (job.traceparent() != null) {
            ctx.response().putHeader(Traceparent.HEADER, job.traceparent());
          }
          if (stream) {
            streamEvents(ctx, job.id(), 0, false);
          } else {
            respond(ctx, 202, job.toJson().put("events", jobPath(job.id()) + "/events"));
          }
        })
        .onFailure(ctx::fail);
  }

  private void handleGetJob(RoutingContext ctx) {
    jobs.find(ctx.pathParam("id")).onSuccess(job -> respond(ctx, 200, job.toJson())).onFailure(ctx::fail);
  }

  /**
   * A job that has ended and whose every event the client has already seen answers 204: the SSE
   * standard's word for "do not reconnect", which stops a browser's EventSource from asking forever.
   */
  private void handleJobEvents(RoutingContext ctx) {
    long after = lastEventId(ctx);
    jobs.find(ctx.pathParam("id")).onSuccess(job -> {
      if (job.status().terminal() && after > 0) {
        jobs.events(job.id(), after, true).hasEventsAfter().onSuccess(more -> {
          if (more) {
            streamEvents(ctx, job.id(), after, true);
          } else {
            ctx.response().setStatusCode(204).end();
          }
        }).onFailure(ctx::fail);
      } else {
        streamEvents(ctx, job.id(), after, job.status().terminal());
      }
    }).onFailure(ctx::fail);
  }

  private void handleCancel(RoutingContext ctx) {
    jobs.cancel(ctx.pathParam("id")).onSuccess(job -> respond(ctx, 202, job.toJson())).onFailure(ctx::fail);
  }

  /** {@code ended}: the job had ended when asked, so its log is final and the stream closes once it is sent. */
  private void streamEvents(RoutingContext ctx, String jobId, long afterSeq, boolean ended) {
    streams.opened();
    new SseStream(vertx, ctx.response(), config.http().sseHeartbeatSeconds() * 1000L)
        .stream(jobs.events(jobId, afterSeq, ended), streams::closed);
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
      throw new ApiError(ErrorCode.INVALID_LAST_EVENT_ID, "Last-Event-ID must be an event id this service sent");
    }
  }

  private static boolean wantsEventStream(RoutingContext ctx) {
    String accept = ctx.request().getHeader("Accept");
    return accept != null && accept.toLowerCase(Locale.ROOT).contains("text/event-stream");
  }

  static String jobPath(String id) {
    return "/v1/jobs/" + id;
  }
}
