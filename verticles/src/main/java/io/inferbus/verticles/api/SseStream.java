package io.inferbus.verticles.api;

import io.inferbus.verticles.jobs.JobEvent;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;

/**
 * Streams one job's events as text/event-stream on an HTTP response until the terminal event,
 * holding back while the client reads slowly and sending a comment when the stream is idle.
 */
final class SseStream {
  private final Vertx vertx;
  private final HttpServerResponse response;
  private final long heartbeatMillis;
  private JobEventFeed feed;
  private Runnable onClosed;
  private boolean stopped;
  private long heartbeatTimer;
  private long lastWrite;

  SseStream(Vertx vertx, HttpServerResponse response, long heartbeatMillis) {
    this.vertx = vertx;
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
        .putHeader("X-Accel-Buffering", "no")
        .writeHead();
    lastWrite = System.currentTimeMillis();
    response.closeHandler(v -> stop());
    response.drainHandler(v -> feed.resume());
    heartbeatTimer = vertx.setPeriodic(heartbeatMillis, id -> heartbeat());
    feed.start(this::send, this::finish);
  }

  private void send(JobEvent event) {
    if (response.closed()) {
      return;
    }
    String id = event.seq() > 0 ? "id: " + event.seq() + "\n" : "";
    response.write(id + "event: " + event.type().wireName() + "\ndata: " + event.data().encode() + "\n\n");
    lastWrite = System.currentTimeMillis();
    if (response.writeQueueFull() && !event.type().terminal()) {
      feed.pause();
    }
  }

  /** The feed has nothing more to say: the terminal event went out, or the job had ended before. */
  private void finish() {
    if (!response.closed() && !response.ended()) {
      // Only once the end is written does the stream count as closed: a draining node may then stop at once.
      response.end().onComplete(v -> stop());
    } else {
      stop();
    }
  }

  private void heartbeat() {
    if (!response.closed() && System.currentTimeMillis() - lastWrite >= heartbeatMillis - 50) {
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
