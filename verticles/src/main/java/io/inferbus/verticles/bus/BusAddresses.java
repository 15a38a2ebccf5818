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

  /**
   * Every job's events, published by whichever node writes them. Each API node consumes it once
   * ({@code JobEventRelay}) and hands each event to its own followers of that job ({@code JobFollowers}): one cluster-wide
   * registration per node, never one per job (each such registration is a serialized write to
   * Hazelcast's subscription map, seen by every member).
   */
  public static final String JOB_EVENTS = "inferbus.job-events";

  /**
   * Node-local: every event feed of this node reads its job's log again. Sent when a member leaves,
   * since a member that dies between writing an event to the log and publishing it leaves followers
   * waiting for news that will never come.
   */
  public static final String RESYNC_FEEDS = "inferbus.feeds.resync";
}
