package io.inferbus.verticles.api;

import io.inferbus.verticles.bus.BusAddresses;
import io.inferbus.verticles.jobs.JobEvent;
import io.inferbus.verticles.jobs.JobStore;
import io.inferbus.verticles.jobs.RecentEvents;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Optional;

/**
 * A job's events in order, each once: first those in its log after a given number, then live ones
 * from the bus. The log is the truth; the bus only carries news, so a gap, a pause for
 * backpressure or a late subscription is mended by reading the log again. News that is not in the
 * log (a queued job's position, numbered 0) is passed on when it arrives and never replayed. Ends after the terminal
 * event, or, for a job that had already ended, once its final log has been read. The log is read from
 * this node's {@link RecentEvents} when they know it whole (a stream opened with its job), else from the store.
 */
final class JobEventFeed {
  private final Vertx vertx;
  private final JobFollowers followers;
  private final JobStore store;
  private final RecentEvents recent;
  private final JobEventFeeds feeds;
  private final String jobId;
  private final boolean logIsFinal;
  private final Promise<Void> firstRead = Promise.promise();
  private Handler<JobEvent> sink;
  private Runnable onEnd;
  private long lastSeq;
  private boolean reading;
  /** A member left: its last writes may never have reached the bus, so only the store knows them. */
  private boolean storeAsked;
  private boolean behind;
  private boolean paused;
  private boolean closed;

  JobEventFeed(Vertx vertx, JobFollowers followers, JobStore store, RecentEvents recent, JobEventFeeds feeds, String jobId, long afterSeq,
      boolean logIsFinal) {
    this.vertx = vertx;
    this.followers = followers;
    this.store = store;
    this.recent = recent;
    this.feeds = feeds;
    this.jobId = jobId;
    this.lastSeq = afterSeq;
    this.logIsFinal = logIsFinal;
  }

  /**
   * Subscribes before reading the log, so no event falls between the two; {@code onEnd} runs once,
   * when the feed closes. Completes once the log has been read the first time.
   */
  Future<Void> start(Handler<JobEvent> sink, Runnable onEnd) {
    this.sink = sink;
    this.onEnd = onEnd;
    followers.add(jobId, vertx.getOrCreateContext(), this);
    feeds.opened(this);
    readLog();
    return firstRead.future();
  }

  /** Whether the log holds events after the ones this feed starts from. */
  Future<Boolean> hasEventsAfter() {
    return store.eventsAfter(jobId, lastSeq).map(events -> !events.isEmpty());
  }

  void pause() {
    paused = true;
  }

  void resume() {
    paused = false;
    if (behind) {
      readLog();
    }
  }

  /** A member left ({@link BusAddresses#RESYNC_FEEDS}): the log is read again, from the store. */
  void resync() {
    storeAsked = true;
    readLog();
  }

  void close() {
    if (!closed) {
      closed = true;
      followers.remove(jobId, this);
      feeds.closed(this);
      onEnd.run();
    }
  }

  void onLive(JobEvent event) {
    long seq = event.seq();
    if (seq == 0) {
      if (!closed && !paused && !reading) {
        sink.handle(event);
      }
      return;
    }
    if (closed || seq <= lastSeq) {
      return;
    }
    if (seq == lastSeq + 1 && !paused && !reading && !event.isNotice()) {
      emit(event);
    } else {
      readLog();
    }
  }

  private void readLog() {
    if (reading || paused || closed) {
      behind = true;
      return;
    }
    Optional<List<JobEvent>> known = storeAsked || logIsFinal ? Optional.empty() : recent.after(jobId, lastSeq);
    behind = false;
    if (known.isPresent()) {
      emitAll(known.get());
      firstRead.tryComplete();
      return;
    }
    reading = true;
    storeAsked = false;
    store.eventsAfter(jobId, lastSeq).onComplete(result -> {
      reading = false;
      if (result.succeeded()) {
        emitAll(result.result());
        if (logIsFinal && !behind) {
          close();
        }
      } else {
        behind = true;
      }
      firstRead.tryComplete();
      if (behind && !paused && !closed) {
        readLog();
      }
    });
  }

  private void emitAll(List<JobEvent> events) {
    for (JobEvent event : events) {
      if (closed || paused) {
        behind = !closed;
        return;
      }
      if (event.seq() == lastSeq + 1) {
        emit(event);
      }
    }
  }

  private void emit(JobEvent event) {
    lastSeq = event.seq();
    sink.handle(event);
    if (event.type().terminal()) {
      close();
    }
  }
}
