package io.inferbus.verticles.api;

import io.inferbus.verticles.jobs.JobEvent;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/**
 * Streams one job's events as text/event-stream on an HTTP response until the terminal event,
 * holding back while the client reads slowly and sending a comment when the stream is idle.
 *
 * <p>Events that arrive in the same turn of the event loop leave in one write: a short job's
 * progress, success and the stream's end are one packet, not three (each write is a system call
 * here and a wake-up at the client). The headers leave with the first events.
 */
final class SseStream {
  static final long RECONNECT_MILLIS = 2000;
  private final Vertx vertx;
  private final Context context;
  private final HttpServerResponse response;
  private final long heartbeatMillis;
  private JobEventFeed feed;
  private Runnable onClosed;
  private Buffer unsent;
  private boolean stopped;
  private long heartbeatTimer;
  private long lastWrite;

  SseStream(Vertx vertx, HttpServerResponse response, long heartbeatMillis) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.response = response;
    this.heartbeatMillis = heartbeatMillis;
  }

  void stream(JobEventFeed feed, Runnable onClosed) {
    this.feed = feed;
    this.onClosed = onClosed;
    response.setStatusCode(200)
        .setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    lastWrite = System.currentTimeMillis();
    response.closeHandler(v -> stop());
    response.drainHandler(v -> feed.resume());
    heartbeatTimer = vertx.setPeriodic(heartbeatMillis, id -> heartbeat());
    // How long a browser's EventSource waits before it reconnects (with Last-Event-ID) when a stream breaks.
    pending().appendString("retry: ").appendString(Long.toString(RECONNECT_MILLIS)).appendString("\n\n");
    feed.start(this::send, this::finish).onComplete(caughtUp -> openIfSilent());
  }

  /** A client waiting for news of a job that has none yet still sees the stream open at once. */
  private void openIfSilent() {
    if (unsent == null && !response.headWritten() && !response.closed() && !response.ended()) {
      response.writeHead();
    }
  }

  private void send(JobEvent event) {
    if (response.closed()) {
      return;
    }
    if (event.seq() > 0) {
      pending().appendString("id: ").appendString(Long.toString(event.seq())).appendString("\n");
    }
    pending().appendString("event: ").appendString(event.type().wireName()).appendString("\ndata: ")
        .appendBuffer(event.data().toBuffer()).appendString("\n\n");
  }

  /** The buffer of this turn's events; the first event of a turn schedules its write at the turn's end. */
  private Buffer pending() {
    if (unsent == null) {
      unsent = Buffer.buffer(512);
      context.runOnContext(v -> flush());
    }
    return unsent;
  }

  private void flush() {
    Buffer out = unsent;
    unsent = null;
    if (out == null || response.closed() || response.ended()) {
      return;
    }
    response.write(out);
    lastWrite = System.currentTimeMillis();
    if (response.writeQueueFull()) {
      feed.pause();
    }
  }

  /** The feed has nothing more to say: the terminal event went out, or the job had ended before. */
  private void finish() {
    if (!response.closed() && !response.ended()) {
      Buffer last = unsent;
      unsent = null;
      // Only once the end is written does the stream count as closed: a draining node may then stop at once.
      (last == null ? response.end() : response.end(last)).onComplete(v -> stop());
    } else {
      stop();
    }
  }

  private void heartbeat() {
    if (!response.closed() && unsent == null && System.currentTimeMillis() - lastWrite >= heartbeatMillis - 50) {
      response.write(": heartbeat\n\n");
      lastWrite = System.currentTimeMillis();
    }
  }

  private void stop() {
    if (!stopped) {
      stopped = true;
      vertx.cancelTimer(heartbeatTimer);
      feed.close();
      onClosed.run();
    }
  }
}
