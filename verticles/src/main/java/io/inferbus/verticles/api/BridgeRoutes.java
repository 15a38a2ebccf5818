package io.inferbus.verticles.api;

import io.inferbus.verticles.config.InferbusConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.Locale;

/**
 * The event-bus bridge for JavaScript clients, at {@code /eventbus}: SockJS (WebSocket, or XHR where
 * a WebSocket cannot pass), each connection a {@link BridgeSocket}. A page from an origin other than
 * this server's or one listed in {@code http.cors-origins} is refused, as for the HTTP API.
 */
final class BridgeRoutes {
  static final String PATH = "/eventbus";

  private final Vertx vertx;
  private final InferbusConfig config;
  private final JobService jobs;
  private final ApiKeys keys;
  private final OpenStreams streams;
  private final BridgeMetrics metrics;

  BridgeRoutes(Vertx vertx, InferbusConfig config, JobService jobs, ApiKeys keys, OpenStreams streams, MeterRegistry registry) {
    this.vertx = vertx;
    this.config = config;
    this.jobs = jobs;
    this.keys = keys;
    this.streams = streams;
    this.metrics = new BridgeMetrics(registry);
  }

  void mount(Router router) {
    SockJSHandlerOptions options = new SockJSHandlerOptions()
        .setInsertJSESSIONID(false)
        .setRegisterWriteHandler(false)
        .setHeartbeatInterval(10_000)
        .setSessionTimeout(config.bridge().pingTimeoutSeconds() * 1000L)
        .setLibraryURL("/vendor/sockjs.min.js");
    router.route(PATH + "/*").subRouter(SockJSHandler.create(vertx, options).socketHandler(this::accept));
  }

  private void accept(SockJSSocket socket) {
    if (!originAllowed(socket)) {
      metrics.refused("origin_not_allowed");
      socket.close();
      return;
    }
    new BridgeSocket(vertx, socket, config, jobs, keys, streams, metrics).start();
  }

  /** No Origin (not a browser), this server's own, or one the settings list. */
  private boolean originAllowed(SockJSSocket socket) {
    String origin = socket.headers().get("Origin");
    if (origin == null) {
      return true;
    }
    String host = socket.headers().get("Host");
    String own = origin.toLowerCase(Locale.ROOT).replaceFirst("^https?://", "");
    return (host != null && own.equals(host.toLowerCase(Locale.ROOT))) || config.http().corsOrigins().contains(origin);
  }
}
