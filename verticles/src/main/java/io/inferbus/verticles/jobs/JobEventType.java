package io.inferbus.verticles.jobs;

import java.util.Locale;

/** The SSE event names of a job's life. */
public enum JobEventType {
  QUEUED, STARTED, PROGRESS, SUCCEEDED, FAILED, CANCELLED, EXPIRED;

  /** Computed once: names are read on every event and request. */
  private final String wireName = name().toLowerCase(Locale.ROOT);

  public boolean terminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED || this == EXPIRED;
  }

  public String wireName() {
    return wireName;
  }

  public static JobEventType fromWireName(String name) {
    for (JobEventType type : values()) {
      if (type.wireName.equals(name)) {
        return type;
      }
    }
    throw new IllegalArgumentException("unknown event type: " + name);
  }
}
