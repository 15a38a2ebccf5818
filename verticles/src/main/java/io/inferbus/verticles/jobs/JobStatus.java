package io.inferbus.verticles.jobs;

import java.util.Locale;

public enum JobStatus {
  QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, EXPIRED;

  /** Computed once: names are read on every event and request. */
  private final String wireName = name().toLowerCase(Locale.ROOT);

  public boolean terminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED || this == EXPIRED;
  }

  public String wireName() {
    return wireName;
  }
}
