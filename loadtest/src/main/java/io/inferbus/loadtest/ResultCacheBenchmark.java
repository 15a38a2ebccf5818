package io.inferbus.loadtest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The result cache on a workload with repeated inputs: the same fixed sequence of single-sentence
 * POST /v1/embeddings requests (drawn at random from a smaller set of distinct sentences) against the
 * real model with the cache off, in memory, and in Redis (127.0.0.1:6379, a fresh key prefix).
 *
 * <p>Usage: ResultCacheBenchmark [path/to/inferbus.jar] [requests] [distinct sentences] [clients]
 */
public final class ResultCacheBenchmark {
  private static final Pattern HITS = Pattern.compile("(?m)^inferbus_cache_hits_total\\{[^}]*\\} ([0-9.E]+)");

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args.length > 0 ? args[0] : "verticles/target/inferbus.jar").toAbsolutePath();
    int requests = args.length > 1 ? Integer.parseInt(args[1]) : 6000;
    int distinct = args.length > 2 ? Integer.parseInt(args[2]) : 600;
    int clients = args.length > 3 ? Integer.parseInt(args[3]) : 16;
    List<String> sentences = Corpus.sentences(distinct, 11);
    List<String> warmUp = Corpus.sentences(1000, 99);
    int[] sequence = new Random(5).ints(requests, 0, distinct).toArray();
    Path logs = Files.createTempDirectory("inferbus-cache-bench");

    Map<String, Map<String, String>> setups = new LinkedHashMap<>();
    setups.put("cache off", Map.of("INFERBUS_CACHE_ENABLED", "false"));
    setups.put("in-memory cache", Map.of("INFERBUS_CACHE_ENABLED", "true"));
    setups.put("Redis cache", Map.of("INFERBUS_CACHE_ENABLED", "true", "INFERBUS_REDIS_URL", "redis://127.0.0.1:6379",
        "INFERBUS_REDIS_KEY_PREFIX", "inferbus-bench-" + UUID.randomUUID() + ":"));

    System.out.printf("%d single-sentence POST /v1/embeddings from %d clients, drawn from %d distinct sentences "
        + "(%.0f%% repeats at best); logs in %s%n", requests, clients, distinct, 100.0 * (requests - distinct) / requests, logs);
    System.out.printf("%-16s %10s %8s %8s %8s %8s%n", "", "requests/s", "p50 ms", "p95 ms", "p99 ms", "hits");
    ClosedLoopLoad.Figures uncached = null;
    for (Map.Entry<String, Map<String, String>> setup : setups.entrySet()) {
      int port = ServiceProcess.freePort();
      Map<String, String> env = new LinkedHashMap<>(setup.getValue());
      env.put("INFERBUS_HTTP_PORT", String.valueOf(port));
      try (ServiceProcess node = ServiceProcess.start(jar, List.of(), env, logs.resolve(setup.getKey().replace(' ', '-') + ".log"))) {
        ServiceProcess.awaitReady(port);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        ClosedLoopLoad.runCount(clients, warmUp.size(), (client, n) -> embed(http, port, warmUp.get((int) n)));
        double hitsBefore = hits(http, port);
        ClosedLoopLoad.Figures figures = ClosedLoopLoad.runCount(clients, requests, (client, n) -> embed(http, port, sentences.get(sequence[(int) n])));
        double hits = hits(http, port) - hitsBefore;
        System.out.printf("%-16s %10.1f %8.2f %8.2f %8.2f %8.0f%n", setup.getKey(), figures.perSecond(), figures.p50(), figures.p95(), figures.p99(), hits);
        if (uncached == null) {
          uncached = figures;
        } else {
          System.out.printf("  %s / cache off: %.2fx requests/s, p50 %.2fx%n", setup.getKey(), figures.perSecond() / uncached.perSecond(),
              figures.p50() / uncached.p50());
        }
      }
    }
  }

  private static void embed(HttpClient http, int port, String sentence) throws Exception {
    String body = "{\"input\":\"" + sentence + "\"}";
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/embeddings"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("embedding failed: " + response.statusCode() + " " + response.body());
    }
  }

  private static double hits(HttpClient http, int port) throws Exception {
    String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    double total = 0;
    Matcher m = HITS.matcher(metrics);
    while (m.find()) {
      total += Double.parseDouble(m.group(1));
    }
    return total;
  }
}
