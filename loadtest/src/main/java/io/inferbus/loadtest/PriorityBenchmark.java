package io.inferbus.loadtest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Priority under load: 1,000 normal embed jobs of one batch each are queued, then critical jobs
 * arrive one at a time; each critical job's queue wait (accepted to started) is compared with one
 * batch's run time (a normal job's started to finished).
 *
 * <p>Usage: PriorityBenchmark [path/to/inferbus.jar] [normal jobs] [critical jobs]
 */
public final class PriorityBenchmark {
  private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f-]{36})\"");
  private static final int BATCH_ITEMS = 16;

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args.length > 0 ? args[0] : "verticles/target/inferbus.jar").toAbsolutePath();
    int normals = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int criticals = args.length > 2 ? Integer.parseInt(args[2]) : 40;
    Path log = Files.createTempFile("inferbus-priority", ".log");
    int port = ServiceProcess.freePort();
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try (ServiceProcess node = ServiceProcess.start(jar, List.of(), Map.of("INFERBUS_HTTP_PORT", String.valueOf(port),
        "INFERBUS_WORKER_BATCH_ITEMS", String.valueOf(BATCH_ITEMS)), log)) {
      ServiceProcess.awaitReady(port);
      List<String> sentences = Corpus.sentences(BATCH_ITEMS, 5);
      List<CompletableFuture<HttpResponse<String>>> queued = new ArrayList<>();
      for (int i = 0; i < normals; i++) {
        queued.add(http.sendAsync(post(port, job(sentences, "normal")), HttpResponse.BodyHandlers.ofString()));
      }
      List<String> normalIds = new ArrayList<>();
      for (CompletableFuture<HttpResponse<String>> f : queued) {
        normalIds.add(id(f.get().body()));
      }
      List<Double> waits = new ArrayList<>();
      for (int i = 0; i < criticals; i++) {
        String id = id(http.send(post(port, job(Corpus.sentences(1, 100 + i), "critical")), HttpResponse.BodyHandlers.ofString()).body());
        String job = awaitEnd(http, port, id);
        waits.add((double) Duration.between(instant(job, "created"), instant(job, "started")).toMillis());
      }
      List<Double> batches = new ArrayList<>();
      for (String id : normalIds.subList(0, 50)) {
        String job = awaitEnd(http, port, id);
        batches.add((double) Duration.between(instant(job, "started"), instant(job, "finished")).toMillis());
      }
      for (String id : normalIds) {
        http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/jobs/" + id)).DELETE().build(),
            HttpResponse.BodyHandlers.discarding());
      }
      Collections.sort(waits);
      Collections.sort(batches);
      double p95 = OrchestrationBenchmark.at(waits, 0.95);
      double batch = OrchestrationBenchmark.at(batches, 0.50);
      System.out.printf("%d normal jobs of %d sentences queued; %d critical jobs sent one at a time%n", normals, BATCH_ITEMS, criticals);
      System.out.printf("critical queue wait: p50 %.0f ms, p95 %.0f ms, max %.0f ms%n", OrchestrationBenchmark.at(waits, 0.5), p95,
          waits.get(waits.size() - 1));
      System.out.printf("one batch's run time (median normal job): %.0f ms%n", batch);
      System.out.printf("critical wait p95 / batch run time: %.2f (goal <= 1)%n", p95 / batch);
    }
  }

  private static String job(List<String> sentences, String priority) {
    StringBuilder body = new StringBuilder("{\"task\":\"embed\",\"priority\":\"" + priority + "\",\"input\":[");
    for (int i = 0; i < sentences.size(); i++) {
      body.append(i == 0 ? "" : ",").append('"').append(sentences.get(i)).append('"');
    }
    return body.append("]}").toString();
  }

  private static HttpRequest post(int port, String body) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/jobs"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  private static String id(String body) {
    Matcher m = ID.matcher(body);
    if (!m.find()) {
      throw new IllegalStateException("no job id in " + body);
    }
    return m.group(1);
  }

  private static String awaitEnd(HttpClient http, int port, String id) throws Exception {
    HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/jobs/" + id)).build();
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (System.nanoTime() < deadline) {
      String job = http.send(get, HttpResponse.BodyHandlers.ofString()).body();
      if (job.contains("\"finished\":\"")) {
        return job;
      }
      Thread.sleep(5);
    }
    throw new IllegalStateException("job " + id + " did not end");
  }

  private static Instant instant(String job, String field) {
    Matcher m = Pattern.compile("\"" + field + "\":\"([^\"]+)\"").matcher(job);
    if (!m.find()) {
      throw new IllegalStateException("no " + field + " in " + job);
    }
    return Instant.parse(m.group(1));
  }
}
