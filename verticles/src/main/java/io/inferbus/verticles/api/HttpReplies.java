package io.inferbus.verticles.api;

import io.inferbus.verticles.ErrorCode;
import io.inferbus.verticles.access.Caller;
import io.inferbus.verticles.access.RateDecision;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/** What every route group does the same way: read JSON bodies, answer JSON, answer errors, name the caller. */
final class HttpReplies {
  static final String JSON = "application/json";
  static final String CALLER = "caller";

  private HttpReplies() {}

  static Caller caller(RoutingContext ctx) {
    return ctx.get(CALLER);
  }

  static void requireJson(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith(JSON)) {
      ctx.fail(new ApiError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the request body as application/json"));
    } else {
      ctx.next();
    }
  }

  static JsonObject jsonBody(RoutingContext ctx) {
    Object parsed;
    try {
      parsed = ctx.body().buffer() == null ? null : Json.decodeValue(ctx.body().buffer());
    } catch (DecodeException e) {
      throw new ApiError(ErrorCode.MALFORMED_JSON, "the request body is not valid JSON");
    }
    if (!(parsed instanceof JsonObject object)) {
      throw new ApiError(ErrorCode.MALFORMED_JSON, "the request body must be a JSON object");
    }
    return object;
  }

  /**
   * A token bucket as the RateLimit headers describe it: {@code Limit} the burst a caller may send at
   * once, {@code Remaining} what is left of it, and {@code Policy} the burst per refill window.
   */
  static void addRateLimitHeaders(RoutingContext ctx, RateDecision decision) {
    if (decision.bucket().unlimited()) {
      return;
    }
    long window = Math.max(1, 60L * decision.bucket().burst() / decision.bucket().perMinute());
    ctx.response().headers()
        .set("RateLimit-Limit", String.valueOf(decision.bucket().burst()))
        .set("RateLimit-Remaining", String.valueOf(decision.remaining()))
        .set("RateLimit-Reset", String.valueOf(decision.resetSeconds()))
        .set("RateLimit-Policy", decision.bucket().burst() + ";w=" + window);
  }

  static void respondError(RoutingContext ctx, ApiError error) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    if (error.retryAfterSeconds() != null) {
      ctx.response().putHeader("Retry-After", String.valueOf(error.retryAfterSeconds()));
    }
    respond(ctx, error.status(), error.toJson());
  }

  static void respond(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", JSON).end(body.toBuffer());
  }
}
