package io.inferbus.verticles.api;

import io.vertx.core.json.JsonObject;

/** A refusal the client can act on: its HTTP status, a stable code and a human message. */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String code;
  private final Integer retryAfterSeconds;

  public ApiError(int status, String code, String message) {
    this(status, code, message, null);
  }

  public ApiError(int status, String code, String message, Integer retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static ApiError unprocessable(String code, String message) {
    return new ApiError(422, code, message);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public Integer retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public JsonObject toJson() {
    return new JsonObject().put("error", new JsonObject().put("code", code).put("message", getMessage()));
  }
}
