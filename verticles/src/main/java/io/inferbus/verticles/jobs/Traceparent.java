package io.inferbus.verticles.jobs;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A W3C trace context ({@code traceparent: 00-<trace id>-<parent id>-<flags>}): taken from a
 * client's request when it sends a valid one, else begun here. It travels with the job (in its
 * request and record, and as a bus header) so its log lines on every node share one trace id.
 */
public final class Traceparent {
  public static final String HEADER = "traceparent";
  private static final Pattern VALID = Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
  private static final String ZERO_TRACE = "0".repeat(32);
  private static final SecureRandom RANDOM = new SecureRandom();

  private Traceparent() {}

  /** The client's traceparent when it is valid, otherwise a new one. */
  public static String fromRequest(String header) {
    if (header != null) {
      String value = header.trim().toLowerCase(java.util.Locale.ROOT);
      if (VALID.matcher(value).matches() && !value.startsWith("ff") && !value.substring(3, 35).equals(ZERO_TRACE)) {
        return value;
      }
    }
    return begin();
  }

  public static String begin() {
    byte[] trace = new byte[16];
    byte[] span = new byte[8];
    RANDOM.nextBytes(trace);
    RANDOM.nextBytes(span);
    return "00-" + HexFormat.of().formatHex(trace) + "-" + HexFormat.of().formatHex(span) + "-01";
  }

  /** The trace id part, or null for no traceparent. */
  public static String traceId(String traceparent) {
    return traceparent == null || traceparent.length() < 35 ? null : traceparent.substring(3, 35);
  }
}
