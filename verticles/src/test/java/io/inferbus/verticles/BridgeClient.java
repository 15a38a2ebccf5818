package io.inferbus.verticles;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A raw WebSocket on the bridge ({@code /eventbus/websocket}: SockJS without its framing), speaking the bridge's JSON frames. */
final class BridgeClient implements AutoCloseable {
  final List<JsonObject> received = new CopyOnWriteArrayList<>();
  private final Vertx vertx = Vertx.vertx();
  private final WebSocketClient client = vertx.createWebSocketClient();
  private final WebSocket socket;
  private volatile boolean closed;

  BridgeClient(int port, Map<String, String> headers) {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/eventbus/websocket");
    headers.forEach(options::addHeader);
    this.socket = ApiClient.await(client.connect(options));
    try {
      socket.closeHandler(v -> closed = true);
      socket.textMessageHandler(frame -> received.add(new JsonObject(frame))); // text frames only: JSON, as browsers and Node read it
    } catch (IllegalStateException alreadyClosed) {
      closed = true;
    }
  }

  BridgeClient(int port) {
    this(port, Map.of());
  }

  void send(JsonObject frame) {
    ApiClient.await(socket.writeTextMessage(frame.encode()));
  }

  void sendRaw(String text) {
    ApiClient.await(socket.writeTextMessage(text));
  }

  /** Sends to an address with a reply address, and waits for what comes back to it. */
  JsonObject request(String address, JsonObject body, JsonObject headers) {
    String reply = "r-" + System.nanoTime();
    send(new JsonObject().put("type", "send").put("address", address).put("body", body).put("headers", headers).put("replyAddress", reply));
    return await(Duration.ofSeconds(30), f -> reply.equals(f.getString("address")));
  }

  JsonObject request(String address, JsonObject body) {
    return request(address, body, new JsonObject());
  }

  JsonObject await(Duration timeout, Predicate<JsonObject> wanted) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (JsonObject frame : received) {
        if (wanted.test(frame)) {
          return frame;
        }
      }
      vertx.timer(10, TimeUnit.MILLISECONDS).await();
    }
    throw new AssertionError("no such frame within " + timeout + "; received " + received);
  }

  boolean closed() {
    return closed;
  }

  @Override
  public void close() {
    if (!closed) {
      socket.close();
    }
    vertx.close().await();
  }
}
