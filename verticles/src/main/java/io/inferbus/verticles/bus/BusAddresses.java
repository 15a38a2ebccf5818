package io.inferbus.verticles.bus;

/**
 * Event-bus addresses and headers: the contract between API nodes and workers (see README, "Bus contract").
 * The browser bridge will permit only the events of a job, so every internal address stays outside that pattern.
 */
public final class BusAddresses {
  public static final String CANCEL = "inferbus.control.cancel";
  public static final String HEADER_JOB_ID = "job-id";
  public static final String HEADER_PRIORITY = "priority";
  public static final String HEADER_ATTEMPT = "attempt";
  public static final String HEADER_DEADLINE = "deadline";
  public static final String FULL = "full";
  public static final String TAKEN = "taken";

  private BusAddresses() {}

  /** A worker's own work address for a model: jobs go only to workers that asked for work. */
  public static String work(String model, String node) {
    return "inferbus.work." + model + "." + node;
  }

  /** Workers of a model publish here how many more jobs they can take. */
  public static String credits(String model) {
    return "inferbus.credits." + model;
  }

  public static String events(String jobId) {
    return "inferbus.events." + jobId;
  }
}
