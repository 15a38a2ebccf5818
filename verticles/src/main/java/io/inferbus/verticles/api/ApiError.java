package io.inferbus.verticles.api;

import io.inferbus.verticles.ErrorCode;
import io.vertx.core.json.JsonObject;

/** A refusal the client can act on: a stable code (which fixes the HTTP status) and a human message. */
public final class ApiError extends RuntimeException {
  private final ErrorCode code;
  private final Integer retryAfterSeconds;

  public ApiError(ErrorCode code, String message) {
    this(code, message, null);
  }

  public ApiError(ErrorCode code, String message, Integer retryAfterSeconds) {
    super(message, null, false, false);
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The one wording of refusals that say the same thing wherever they arise. */
  public static ApiError storeUnavailable(int retryAfterSeconds) {
    return new ApiError(ErrorCode.STORE_UNAVAILABLE, "the job store (Redis) cannot be reached, so new jobs cannot be recorded; retry later",
        retryAfterSeconds);
  }

  public static ApiError noWorker(String model, int retryAfterSeconds) {
    return new ApiError(ErrorCode.NO_WORKER, "no worker is serving model '" + model + "' right now", retryAfterSeconds);
  }

  public static ApiError shuttingDown(int retryAfterSeconds) {
    return new ApiError(ErrorCode.SHUTTING_DOWN, "this node is shutting down; send the job to another", retryAfterSeconds);
  }

  public static ApiError jobNotFound(String id) {
    return new ApiError(ErrorCode.JOB_NOT_FOUND, "no job " + id + " (unknown, or ended longer ago than the retention time)");
  }

  public int status() {
    return code.status();
  }

  public ErrorCode code() {
    return code;
  }

  public Integer retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public JsonObject toJson() {
    return new JsonObject().put("error", new JsonObject().put("code", code.wireName()).put("message", getMessage()));
  }
}
