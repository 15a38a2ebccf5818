package io.inferbus.verticles;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** HTTP calls to one inferbus API node on loopback, blocking the test thread (never a Vert.x thread). */
public class ApiClient implements AutoCloseable {
  public final Vertx clientVertx;
  public final WebClient http;
  private final int port;

  public ApiClient(int port) {
    this.port = port;
    this.clientVertx = Vertx.vertx();
    this.http = WebClient.create(clientVertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
  }

  public int port() {
    return port;
  }

  public HttpResponse<Buffer> get(String path) {
    return await(http.get(path).send());
  }

  public HttpResponse<Buffer> delete(String path) {
    return await(http.delete(path).send());
  }

  public HttpResponse<Buffer> postJson(String path, Object body) {
    return await(http.post(path).putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer(body instanceof JsonObject json ? json.encode() : body.toString())));
  }

  public HttpResponse<Buffer> postJson(String path, JsonObject body, Map<String, String> headers) {
    var request = http.post(path).putHeader("Content-Type", "application/json");
    headers.forEach(request::putHeader);
    return await(request.sendBuffer(body.toBuffer()));
  }

  public HttpResponse<Buffer> get(String path, Map<String, String> headers) {
    var request = http.get(path);
    headers.forEach(request::putHeader);
    return await(request.send());
  }

  public HttpResponse<Buffer> send(HttpMethod method, String path, String contentType, Buffer body) {
    var request = http.request(method, path);
    if (contentType != null) {
      request.putHeader("Content-Type", contentType);
    }
    return await(body == null ? request.send() : request.sendBuffer(body));
  }

  public SseRecorder stream(HttpMethod method, String path, JsonObject body, Map<String, String> headers) {
    return SseRecorder.open(clientVertx, port(), method, path, body, headers);
  }

  /** Polls without blocking a Vert.x thread, failing once the deadline passes. */
  public void pollUntil(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      clientVertx.timer(25).await();
    }
  }

  public static <T> T await(io.vertx.core.Future<T> future) {
    try {
      return future.await(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer within 60 s", e);
    }
  }

  @Override
  public void close() {
    http.close();
    clientVertx.close().await();
  }
}
