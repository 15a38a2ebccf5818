package io.inferbus.loadtest;

import io.inferbus.inference.EmbeddingPipeline;
import io.inferbus.inference.EngineOptions;
import io.inferbus.inference.ModelSpec;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sentences/s of the raw engine (tokenizer + ONNX Runtime, same sessions and batch size, no
 * service) next to the running service (fat jar in its own JVM: HTTP, event bus, worker, SSE) on
 * the same sentences: (a) as one document job, (b) as single-sentence jobs from concurrent clients.
 * Also the service's start-up time.
 *
 * <p>Both sides are warmed up on other sentences first (the raw engine and (a) with three rounds' worth,
 * (b) with one round of single-sentence jobs): the JIT matters at this size. Then the raw engine and
 * the service take turns, round after round, and each figure is the median over rounds of its ratio
 * within a round: this machine's speed drifts by 10-20 % over minutes. (b) is measured both as job API
 * calls streamed with SSE and as OpenAI-style {@code POST /v1/embeddings} calls.
 *
 * <p>Usage: EmbedThroughputBenchmark [path/to/inferbus.jar] [sentences] [rounds] [clients, 0 = skip (b)];
 * {@code -Dbench.singles-only=true} skips (a), e.g. to profile (b) alone with {@code -Dbench.jfr=DIR};
 * {@code -Dbench.sessions=N} runs both sides with N sessions instead of one per core (N below the
 * cores leaves the service CPU of its own for HTTP, the bus and the clients).
 */
public final class EmbedThroughputBenchmark {
  private static final int BATCH_ITEMS = 16;

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args.length > 0 ? args[0] : "verticles/target/inferbus.jar").toAbsolutePath();
    int count = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    int clients = args.length > 3 ? Integer.parseInt(args[3]) : 0;
    List<String> sentences = Corpus.sentences(count, 42);
    int cores = Runtime.getRuntime().availableProcessors();
    int sessions = Integer.getInteger("bench.sessions", cores);
    System.out.printf("corpus: %d sentences of 12-42 words; %d cores; %d sessions x 1 thread; %d items per batch%n",
        count, cores, sessions, BATCH_ITEMS);

    Path log = Files.createTempFile("inferbus-bench", ".log");
    int port = ServiceProcess.freePort();
    long began = System.nanoTime();
    boolean singlesOnly = Boolean.getBoolean("bench.singles-only");
    try (ServiceProcess process = ServiceProcess.start(jar, List.of(),
        Map.of("INFERBUS_HTTP_PORT", String.valueOf(port), "INFERBUS_WORKER_BATCH_ITEMS", String.valueOf(BATCH_ITEMS),
            "INFERBUS_MODELS_0_SESSIONS", String.valueOf(sessions),
            "INFERBUS_LIMITS_MAX_INPUTS", String.valueOf(Math.max(2048, count)),
            "INFERBUS_HTTP_MAX_BODY_BYTES", String.valueOf(64 * 1024 * 1024)), log);
         EmbeddingPipeline pipeline = EmbeddingPipeline.load(ModelSpec.allMiniLmL6V2(), new EngineOptions(sessions, 1, "cpu", 1))) {
      ServiceProcess.awaitReady(port);
      System.out.printf("service start-up to ready: %d ms (java -jar, until /health/ready answers 200)%n",
          (System.nanoTime() - began) / 1_000_000);

      // Warm-up on other sentences; single-sentence jobs for as long as a round, since the JIT
      // compiles the service's per-job paths for 15-20 s under that load.
      for (int i = 0; i < 3; i++) {
        runRaw(pipeline, Corpus.sentences(count, 7 + i));
        if (!singlesOnly) {
          runJob(port, Corpus.sentences(count, 7 + i));
        }
      }
      if (clients > 0) {
        runSingles(port, Corpus.sentences(count, 3), clients, false);
        runSingles(port, Corpus.sentences(count, 5), clients, true);
      }

      // Rounds take turns, so a machine whose speed drifts (shared cores) drifts for both sides alike.
      Round[] measured = new Round[rounds];
      for (int r = 0; r < rounds; r++) {
        long rawCpuBefore = ownCpuNanos();
        double raw = count / runRaw(pipeline, sentences);
        double rawCpu = (ownCpuNanos() - rawCpuBefore) / 1e6 / count;
        double document = singlesOnly ? 0 : count / runJob(port, sentences);
        double singles = 0;
        double synchronous = 0;
        double clientShare = 0;
        double runnerBusy = 0;
        double serviceCpu = 0;
        if (clients > 0) {
          long serviceCpuBefore = process.cpuTime().toNanos();
          long cpuBefore = ownCpuNanos();
          long wallBefore = System.nanoTime();
          double busyBefore = runnerBusySeconds(port);
          singles = count / runSingles(port, sentences, clients, false);
          double wallSeconds = (System.nanoTime() - wallBefore) / 1e9;
          clientShare = (ownCpuNanos() - cpuBefore) / (wallSeconds * 1e9 * cores);
          serviceCpu = (process.cpuTime().toNanos() - serviceCpuBefore) / 1e6 / count;
          runnerBusy = (runnerBusySeconds(port) - busyBefore) / (wallSeconds * sessions);
          synchronous = count / runSingles(port, sentences, clients, true);
        }
        measured[r] = new Round(raw, document, singles, synchronous, clientShare, runnerBusy, rawCpu, serviceCpu);
        System.out.printf("round %d: raw %.1f/s", r + 1, raw);
        if (!singlesOnly) {
          System.out.printf("; one document job %.1f/s (%.3f)", document, document / raw);
        }
        if (clients > 0) {
          System.out.printf("; 1-sentence SSE jobs %.1f/s (%.3f); 1-sentence /v1/embeddings %.1f/s (%.3f)",
              singles, singles / raw, synchronous, synchronous / raw);
        }
        System.out.println();
      }

      System.out.printf("medians of %d rounds:%n", rounds);
      System.out.printf("raw engine:                                  %8.1f sentences/s%n", median(measured, Round::raw));
      System.out.printf("service, one document job:                   %8.1f sentences/s   service/raw %.3f%n",
          median(measured, Round::document), median(measured, x -> x.document() / x.raw()));
      if (clients > 0) {
        System.out.printf("service, 1-sentence jobs (SSE) x %2d clients:  %8.1f sentences/s   service/raw %.3f%n", clients,
            median(measured, Round::singles), median(measured, x -> x.singles() / x.raw()));
        System.out.printf("  (the %d clients themselves used %.0f %% of the machine's CPU meanwhile, taken from the service;"
            + " the worker's ONNX sessions were busy %.0f %% of the time)%n", clients,
            median(measured, Round::clientShare) * 100, median(measured, Round::runnerBusy) * 100);
        System.out.printf("service, 1-sentence POST /v1/embeddings x %2d: %8.1f sentences/s   service/raw %.3f%n", clients,
            median(measured, Round::synchronous), median(measured, x -> x.synchronous() / x.raw()));
        System.out.printf("CPU per sentence: raw engine %.2f ms; service, 1-sentence SSE jobs %.2f ms (all its threads: HTTP, bus,"
            + " journal, SSE, GC and JIT on top of the same engine work)%n",
            median(measured, Round::rawCpuMillis), median(measured, Round::serviceCpuMillis));
      }
    }
  }

  private record Round(double raw, double document, double singles, double synchronous, double clientShare, double runnerBusy,
      double rawCpuMillis, double serviceCpuMillis) {}

  private static double median(Round[] rounds, java.util.function.ToDoubleFunction<Round> figure) {
    double[] values = java.util.Arrays.stream(rounds).mapToDouble(figure).sorted().toArray();
    int mid = values.length / 2;
    return values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  }

  /** Seconds from sending the job to its terminal event on the SSE stream. */
  static double runJob(int port, List<String> sentences) throws Exception {
    StringBuilder body = new StringBuilder("{\"task\":\"embed\",\"input\":[");
    for (int i = 0; i < sentences.size(); i++) {
      body.append(i == 0 ? "" : ",").append('"').append(sentences.get(i)).append('"');
    }
    body.append("]}");
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/jobs"))
        .header("Content-Type", "application/json")
        .header("Accept", "text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
        .build();
    long begin = System.nanoTime();
    HttpResponse<java.io.InputStream> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(request, HttpResponse.BodyHandlers.ofInputStream());
    String terminal = null;
    long lastProgress = 0;
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.equals("event: progress")) {
          lastProgress = System.nanoTime();
        }
        if (line.startsWith("event: ") && List.of("succeeded", "failed", "cancelled").contains(line.substring(7))) {
          terminal = line.substring(7);
        }
      }
    }
    double seconds = (System.nanoTime() - begin) / 1e9;
    if (System.getenv("BENCH_TRACE") != null) {
      System.out.printf("  job: %.3f s to last progress, %.3f s to end%n", (lastProgress - begin) / 1e9, seconds);
    }
    if (!"succeeded".equals(terminal)) {
      throw new IllegalStateException("job ended with " + terminal);
    }
    return seconds;
  }

  /** Seconds the worker's sessions have spent running batches, from the service's own metrics. */
  private static double runnerBusySeconds(int port) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .timeout(java.time.Duration.ofSeconds(30)).build();
    String metrics = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
        .send(request, HttpResponse.BodyHandlers.ofString()).body();
    String series = "inferbus_worker_batch_run_seconds_sum{model=\"all-minilm-l6-v2\"} ";
    return metrics.lines().filter(l -> l.startsWith(series)).mapToDouble(l -> Double.parseDouble(l.substring(series.length()))).sum();
  }

  private static long ownCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /**
   * Seconds for {@code clients} concurrent clients to send every sentence as its own job (POST with
   * Accept: text/event-stream, read to its end). The clients share one Vert.x event loop, so the load
   * generator takes little of the CPU the service and the raw engine compete for.
   */
  static double runSingles(int port, List<String> sentences, int clients, boolean openAiEndpoint) throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    io.vertx.core.http.HttpClient http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(clients));
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    CompletableFuture<Void> finished = new CompletableFuture<>();
    long begin = System.nanoTime();
    Runnable[] sendNext = new Runnable[1];
    sendNext[0] = () -> {
      int i = next.getAndIncrement();
      if (i >= sentences.size()) {
        return;
      }
      String body = openAiEndpoint ? "{\"input\":\"" + sentences.get(i) + "\"}" : "{\"task\":\"embed\",\"input\":\"" + sentences.get(i) + "\"}";
      http.request(HttpMethod.POST, port, "127.0.0.1", openAiEndpoint ? "/v1/embeddings" : "/v1/jobs")
          .compose(request -> request.putHeader("Content-Type", "application/json")
              .putHeader("Accept", openAiEndpoint ? "application/json" : "text/event-stream").send(body))
          .compose(HttpClientResponse::body)
          .onSuccess(events -> {
            if (!events.toString().contains(openAiEndpoint ? "\"embedding\":[" : "event: succeeded")) {
              finished.completeExceptionally(new IllegalStateException("job did not succeed: " + events));
            } else if (done.incrementAndGet() == sentences.size()) {
              finished.complete(null);
            } else {
              sendNext[0].run();
            }
          })
          .onFailure(finished::completeExceptionally);
    };
    vertx.runOnContext(v -> {
      for (int c = 0; c < clients; c++) {
        sendNext[0].run();
      }
    });
    try {
      finished.get();
      return (System.nanoTime() - begin) / 1e9;
    } finally {
      vertx.close().await();
    }
  }

  /** The same work split the way the worker splits it: batches of 16, one per session at a time. */
  private static double runRaw(EmbeddingPipeline pipeline, List<String> sentences) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(pipeline.sessions());
    AtomicInteger next = new AtomicInteger();
    long begin = System.nanoTime();
    List<Future<?>> runners = new ArrayList<>();
    for (int t = 0; t < pipeline.sessions(); t++) {
      runners.add(threads.submit(() -> {
        int from;
        while ((from = next.getAndAdd(BATCH_ITEMS)) < sentences.size()) {
          pipeline.embed(sentences.subList(from, Math.min(sentences.size(), from + BATCH_ITEMS)));
        }
        return null;
      }));
    }
    for (Future<?> runner : runners) {
      runner.get();
    }
    double seconds = (System.nanoTime() - begin) / 1e9;
    threads.shutdown();
    return seconds;
  }
}
