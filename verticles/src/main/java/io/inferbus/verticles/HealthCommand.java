package io.inferbus.verticles;

import io.inferbus.verticles.config.InferbusConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A node's readiness, asked from the same machine with the node's own settings: the probe of a
 * container's HEALTHCHECK or a Kubernetes exec probe, which knows no port of its own.
 */
@Command(name = "health", mixinStandardHelpOptions = true,
    description = {"Asks the node that these settings describe (same --profile, --conf, --role and INFERBUS_* variables)",
        "whether it is ready: GET /health/ready on its HTTP port (api, all) or management port (worker).",
        "Prints the answer. Exit status: 0 ready (or degraded), 1 not ready or not answering, 2 bad settings."})
final class HealthCommand implements Callable<Integer> {
  @Mixin
  private NodeOptions node = new NodeOptions();

  @Option(names = "--timeout-ms", defaultValue = "2000", description = "how long to wait for the answer; default ${DEFAULT-VALUE}")
  private int timeoutMs;

  @Override
  public Integer call() throws InterruptedException {
    Optional<InferbusConfig> loaded = node.loadOrExplain();
    if (loaded.isEmpty()) {
      return 2;
    }
    URI ready = readinessUri(loaded.get());
    try {
      // HttpURLConnection rather than HttpClient: the probe runs every few seconds, and HttpClient
      // sets up TLS even for plain HTTP (a third of the probe's start-up).
      HttpURLConnection connection = (HttpURLConnection) ready.toURL().openConnection();
      connection.setConnectTimeout(timeoutMs);
      connection.setReadTimeout(timeoutMs);
      int status = connection.getResponseCode();
      try (InputStream body = status < 400 ? connection.getInputStream() : connection.getErrorStream()) {
        System.out.println(body == null ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8));
      }
      return status == 200 ? 0 : 1;
    } catch (IOException e) {
      System.out.println("{\"status\":\"unreachable\",\"url\":\"" + ready + "\"}");
      return 1;
    }
  }

  private static URI readinessUri(InferbusConfig config) {
    boolean api = config.node().role().servesApi();
    String host = api ? config.http().host() : config.management().host();
    int port = api ? config.http().port() : config.management().port();
    String reachable = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
    return URI.create("http://" + reachable + ":" + port + "/health/ready");
  }
}
