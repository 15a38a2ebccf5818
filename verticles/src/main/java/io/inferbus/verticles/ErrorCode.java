package io.inferbus.verticles;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Every error a client can see, with the HTTP status it answers with: refusals of a request, and
 * the reasons a job ends without a result ({@code failed} and {@code expired} events carry the
 * same codes). The bridge answers with the same codes in the same body.
 */
public enum ErrorCode {
  MALFORMED_JSON(400),
  INVALID_LAST_EVENT_ID(400),
  BAD_REQUEST(400),
  API_KEY_REQUIRED(401),
  INVALID_API_KEY(401),
  PRIORITY_NOT_ALLOWED(403),
  ORIGIN_NOT_ALLOWED(403),
  NOT_FOUND(404),
  JOB_NOT_FOUND(404),
  METHOD_NOT_ALLOWED(405),
  JOB_FINISHED(409),
  CANCELLED(409),
  PAYLOAD_TOO_LARGE(413),
  UNSUPPORTED_MEDIA_TYPE(415),
  INVALID_TASK(422),
  UNKNOWN_TASK(422),
  UNKNOWN_MODEL(422),
  MISSING_INPUT(422),
  EMPTY_INPUT(422),
  INVALID_INPUT(422),
  TOO_MANY_INPUTS(422),
  INPUT_TOO_LONG(422),
  INVALID_PRIORITY(422),
  INVALID_DEADLINE(422),
  INVALID_PARAMETER(422),
  INVALID_ENCODING_FORMAT(422),
  INVALID_DIMENSIONS(422),
  QUEUE_FULL(429),
  RATE_LIMITED(429),
  INTERNAL_ERROR(500),
  INFERENCE_FAILED(500),
  NO_WORKER(503),
  NOT_READY(503),
  SHUTTING_DOWN(503),
  STORE_UNAVAILABLE(503),
  DEADLINE_PASSED(504);

  private final int status;

  ErrorCode(int status) {
    this.status = status;
  }

  public int status() {
    return status;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<ErrorCode> fromWireName(String code) {
    return Arrays.stream(values()).filter(c -> c.wireName().equals(code)).findFirst();
  }
}
