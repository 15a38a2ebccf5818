package io.inferbus.verticles.jobs;

/** The job store could not be reached: nothing was decided, and the same call may succeed later. */
public final class StoreUnavailableException extends RuntimeException {
  public StoreUnavailableException(Throwable cause) {
    super("the job store is unavailable", cause);
  }
}
