package io.inferbus.verticles.jobs;

import java.util.Locale;

/** The SSE event names of a job's life. */
public enum JobEventType {
  QUEUED, STARTED, PROGRESS, SUCCEEDED, FAILED, CANCELLED, EXPIRED;

  public boolean terminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED || this == EXPIRED;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static JobEventType fromWireName(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }
}
