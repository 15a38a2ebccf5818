package io.inferbus.verticles.api;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/** The streams (SSE, waiting synchronous calls, bridge subscriptions) this node holds open, so a drain can wait for them to end. */
final class OpenStreams {
  private final Vertx vertx;
  private int open;
  private Promise<Void> drained;

  OpenStreams(Vertx vertx) {
    this.vertx = vertx;
  }

  void opened() {
    open++;
  }

  void closed() {
    open--;
    if (drained != null && open <= 0) {
      drained.tryComplete();
    }
  }

  int count() {
    return open;
  }

  /** Completes once every open stream has closed, or after {@code timeoutMillis}, whichever comes first. */
  Future<Void> drain(long timeoutMillis) {
    drained = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, timeoutMillis), t -> drained.tryComplete());
    if (open <= 0) {
      drained.tryComplete();
    }
    return drained.future().onComplete(v -> vertx.cancelTimer(timer));
  }
}
