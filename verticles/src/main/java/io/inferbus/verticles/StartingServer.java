package io.inferbus.verticles;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Holds the node's port while it joins the cluster and loads its models, so clients and load
 * balancers get an answer ({@code 503 not_ready}, liveness 200) instead of a refused connection,
 * and a port that is taken is reported before any slow start-up work. Plain JDK HTTP: Vert.x does
 * not exist yet while the node joins.
 */
final class StartingServer {
  private final HttpServer server;

  private StartingServer(HttpServer server) {
    this.server = server;
  }

  /** @param setting the setting and variable that choose this port, for the error message */
  static StartingServer open(String host, int port, String setting, String nodeId) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 64);
      server.createContext("/", exchange -> answer(exchange, nodeId));
      server.start();
      return new StartingServer(server);
    } catch (BindException e) {
      throw new IllegalStateException("cannot listen on " + host + ":" + port + " (" + e.getMessage().toLowerCase(java.util.Locale.ROOT)
          + "); choose another port with " + setting);
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen on " + host + ":" + port + " (" + e.getMessage() + ")");
    }
  }

  private static void answer(HttpExchange exchange, String nodeId) throws IOException {
    String path = exchange.getRequestURI().getPath();
    int status;
    String body;
    if (path.equals("/health/live")) {
      status = 200;
      body = "{\"status\":\"live\",\"node\":\"" + nodeId + "\"}";
    } else if (path.equals("/health/ready")) {
      status = 503;
      body = "{\"status\":\"starting\",\"node\":\"" + nodeId + "\"}";
    } else {
      status = 503;
      body = "{\"error\":{\"code\":\"not_ready\",\"message\":\"this node is starting (joining the cluster, loading models); retry in a moment\"}}";
      exchange.getResponseHeaders().set("Retry-After", "1");
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Lets go of the port for the real server. */
  void close() {
    server.stop(0);
  }
}
