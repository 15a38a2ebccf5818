package io.inferbus.verticles.api;

import io.inferbus.verticles.bus.BusAddresses;
import io.inferbus.verticles.jobs.JobJournal;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Where this API verticle's event feeds are made and kept while open: a member's departure reaches
 * them all through one node-local consumer, not one registration per stream. Confined to the
 * verticle's context, like its feeds.
 */
final class JobEventFeeds {
  private final Vertx vertx;
  private final JobJournal journal;
  private final JobFollowers followers;
  private final Set<JobEventFeed> open = new LinkedHashSet<>();

  JobEventFeeds(Vertx vertx, JobJournal journal, JobFollowers followers) {
    this.vertx = vertx;
    this.journal = journal;
    this.followers = followers;
    vertx.eventBus().localConsumer(BusAddresses.RESYNC_FEEDS, message -> new ArrayList<>(open).forEach(JobEventFeed::resync));
  }

  /** The job's events after {@code afterSeq}, then live ones; {@code logIsFinal}: the job had ended when asked. */
  JobEventFeed feed(String jobId, long afterSeq, boolean logIsFinal) {
    return new JobEventFeed(vertx, followers, journal.store(), journal.recent(), this, jobId, afterSeq, logIsFinal);
  }

  void opened(JobEventFeed feed) {
    open.add(feed);
  }

  void closed(JobEventFeed feed) {
    open.remove(feed);
  }
}
