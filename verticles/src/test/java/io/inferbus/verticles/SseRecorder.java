package io.inferbus.verticles;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Reads a text/event-stream response as a browser's EventSource would, recording every event and comment. */
public final class SseRecorder {
  public record Event(long id, String type, JsonObject data) {}

  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final List<String> comments = new CopyOnWriteArrayList<>();
  private final List<Integer> chunkOfEvent = new CopyOnWriteArrayList<>();
  private int chunks;
  private int pendingSince;
  private final CompletableFuture<Void> ended = new CompletableFuture<>();
  private final CompletableFuture<HttpClientResponse> head = new CompletableFuture<>();
  /** Bytes, not text: a chunk may end inside a multi-byte character. */
  private Buffer pending = Buffer.buffer();
  private HttpClient client;

  /**
   * Opens the stream from one event-loop context, so the response's handlers are set on the thread
   * that reads the connection, before it reads on: a stream that ends in the packet carrying its head
   * (an ended job with nothing left to send) would otherwise lose its end.
   */
  static SseRecorder open(Vertx vertx, int port, HttpMethod method, String path, JsonObject body, Map<String, String> headers) {
    SseRecorder recorder = new SseRecorder();
    RequestOptions options = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(path)
        .putHeader("Accept", "text/event-stream");
    headers.forEach(options::putHeader);
    recorder.client = vertx.createHttpClient();
    vertx.getOrCreateContext().runOnContext(v -> recorder.send(options, body));
    return recorder;
  }

  private void send(RequestOptions options, JsonObject body) {
    client.request(options)
        .compose(request -> {
          if (body != null) {
            request.putHeader("Content-Type", "application/json");
            return request.send(body.encode());
          }
          return request.send();
        })
        .onSuccess(response -> {
          try {
            response.handler(this::onChunk);
            response.endHandler(v -> ended.complete(null));
            response.exceptionHandler(ended::completeExceptionally);
          } catch (IllegalStateException tooLate) {
            ended.completeExceptionally(new AssertionError("the stream ended before its handlers were set", tooLate));
          }
          head.complete(response);
        })
        .onFailure(failure -> {
          head.completeExceptionally(failure);
          ended.completeExceptionally(failure);
        });
  }

  private synchronized void onChunk(Buffer chunk) {
    chunks++;
    if (pending.length() == 0) {
      pendingSince = chunks;
    }
    pending.appendBuffer(chunk);
    int boundary;
    while ((boundary = blockEnd(pending)) >= 0) {
      String block = pending.getString(0, boundary, "UTF-8");
      pending = pending.getBuffer(boundary + 2, pending.length());
      parse(block);
      pendingSince = chunks;
    }
  }

  private static int blockEnd(Buffer bytes) {
    for (int i = 0; i + 1 < bytes.length(); i++) {
      if (bytes.getByte(i) == '\n' && bytes.getByte(i + 1) == '\n') {
        return i;
      }
    }
    return -1;
  }

  private void parse(String block) {
    long id = -1;
    String type = "message";
    StringBuilder data = new StringBuilder();
    for (String line : block.split("\n")) {
      if (line.startsWith(":")) {
        comments.add(line.substring(1).trim());
      } else if (line.startsWith("id: ")) {
        id = Long.parseLong(line.substring(4));
      } else if (line.startsWith("event: ")) {
        type = line.substring(7);
      } else if (line.startsWith("data: ")) {
        data.append(line.substring(6));
      }
    }
    if (data.length() > 0) {
      events.add(new Event(id, type, new JsonObject(data.toString())));
      chunkOfEvent.add(pendingSince);
    }
  }

  public HttpClientResponse response() {
    return response(Duration.ofSeconds(60));
  }

  public HttpClientResponse response(Duration timeout) {
    try {
      return head.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("no response head within " + timeout, e);
    }
  }

  /** Which read (counted from 1) carried the start of the {@code index}-th event: events written together share one. */
  public int chunkOf(int index) {
    return chunkOfEvent.get(index);
  }

  public List<Event> awaitEnd(Duration timeout) {
    try {
      ended.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("stream did not end within " + timeout + "; events so far: " + types(), e);
    }
    return List.copyOf(events);
  }

  /** Waits until the stream ends, normally or not (its server may have been killed); the events it carried. */
  public List<Event> awaitClosed(Duration timeout) {
    try {
      ended.handle((v, e) -> null).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("stream still open after " + timeout, e);
    }
    return List.copyOf(events);
  }

  public Event awaitEvent(Duration timeout, Predicate<Event> wanted) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (Event e : events) {
        if (wanted.test(e)) {
          return e;
        }
      }
      if (ended.isDone()) {
        break;
      }
      waitForMore(deadline);
    }
    throw new AssertionError("no matching event within " + timeout + "; events so far: " + types());
  }

  public void awaitComment(Duration timeout, String text) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!comments.contains(text)) {
      if (System.nanoTime() > deadline || ended.isDone()) {
        throw new AssertionError("no ': " + text + "' comment within " + timeout + "; comments: " + comments);
      }
      waitForMore(deadline);
    }
  }

  private void waitForMore(long deadline) {
    try {
      ended.get(Math.min(20, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // nothing ended: look at the events again
    } catch (Exception e) {
      throw new AssertionError("stream failed", e);
    }
  }

  public List<Event> events() {
    return List.copyOf(events);
  }

  public List<String> types() {
    return events.stream().map(Event::type).toList();
  }

  public void close() {
    client.close();
  }
}
