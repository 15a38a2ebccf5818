package io.inferbus.verticles.jobs;

import java.util.Locale;

public enum JobStatus {
  QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, EXPIRED;

  public boolean terminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED || this == EXPIRED;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
