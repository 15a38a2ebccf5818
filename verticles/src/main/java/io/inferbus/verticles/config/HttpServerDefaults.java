package io.inferbus.verticles.config;

import io.vertx.core.http.HttpServerOptions;

/** What every HTTP server of a node (the API's, a worker's management port) has in common. */
public final class HttpServerDefaults {
  private HttpServerDefaults() {}

  /**
   * HTTP/1.1 only: Vert.x 5.0.8 upgrades a connection to clear-text HTTP/2 when a client asks
   * ({@code Upgrade: h2c}, which Java's own {@code HttpClient} sends by default), and then
   * intermittently sends a larger answer as HTTP/1.1 bytes on the upgraded connection: 7-22 % of such
   * clients' requests for {@code /metrics} (33-71 KB) failed with a protocol error or never completed,
   * and some for the page's 57 KB script. A server that ignores the upgrade answers them all over
   * HTTP/1.1, which every client speaks.
   */
  public static HttpServerOptions options() {
    return new HttpServerOptions().setHttp2ClearTextEnabled(false);
  }
}
