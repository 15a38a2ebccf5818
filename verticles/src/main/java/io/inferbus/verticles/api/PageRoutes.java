package io.inferbus.verticles.api;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The web page at {@code /} and its assets, every one from the jar (no CDN): its own scripts and the
 * vendored SockJS and event-bus bridge clients. Only the page's own paths are routed here, so any
 * other path keeps the API's headers and its JSON 404.
 */
final class PageRoutes {
  /** The page may load its own scripts and styles and talk to its own origin; nothing else. */
  private static final String PAGE_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  void mount(Router router) {
    StaticHandler assets = StaticHandler.create("webroot").setCachingEnabled(false).setIndexPage("index.html").setDirectoryListing(false);
    router.routeWithRegex("/|/index\\.html|/app\\.(js|css)|/vendor/[A-Za-z0-9._-]+")
        .method(io.vertx.core.http.HttpMethod.GET).method(io.vertx.core.http.HttpMethod.HEAD)
        .handler(this::pageHeaders).handler(assets);
  }

  private void pageHeaders(RoutingContext ctx) {
    ctx.response().headers().set("Content-Security-Policy", PAGE_POLICY).set("Cache-Control", "no-cache");
    ctx.next();
  }
}
