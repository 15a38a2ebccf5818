package io.inferbus.loadtest;

import io.inferbus.inference.EngineOptions;
import io.inferbus.inference.seq2seq.GenerationLane;
import io.inferbus.inference.seq2seq.LocalGenerator;
import io.inferbus.inference.seq2seq.Seq2SeqModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.parsetools.RecordParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The generative path, measured in turns within one run (this machine drifts by 10-50 % within minutes):
 * <ol>
 *   <li>continuous batching vs one sequence at a time: the same service, with up to 64 sequences per
 *       decoder step and with 1, under 32 clients streaming single held-out sentences over SSE;</li>
 *   <li>the service vs the raw engine (the same ONNX sessions and continuous batching in a loop, in
 *       this JVM, no HTTP or bus), each kept 32 sentences busy, in alternating slices (the other side
 *       idle meanwhile) so that the machine's drift falls on both alike;</li>
 *   <li>time to first token ({@code started} to the first {@code progress} event) at 1 and at 32 clients.</li>
 * </ol>
 * Generated tokens/s are the services' own count ({@code generated_tokens} of each result).
 *
 * <pre>TransliterationBenchmark JAR SECONDS CLIENTS ROUNDS</pre> ({@code -Dbench.onnx-threads=N}: see {@link #ONNX_THREADS};
 * {@code -Dbench.env=K=V,...}: the services' environment, e.g. {@code INFERBUS_WORKER_PREFETCH_JOBS=64})
 */
public final class TransliterationBenchmark {
  private static final String TEST_SPLIT = "inference/src/test/resources/ru-latn-cyrl/test.tsv";
  private static final String MODEL = "classpath:ru-latn-cyrl";
  private static final int PIECE_TOKENS = 24;
  /** {@code -Dbench.onnx-threads=N}: threads each ONNX session may use, the same for every variant. */
  private static final int ONNX_THREADS = Integer.getInteger("bench.onnx-threads", 1);

  /** Service and raw engine take turns this many times per round, each for a third of the measurement's seconds. */
  private static final int TURNS = 3;
  private static final int RAW_WARM_UP_SECONDS = 10;

  /** @param startMillis from sending a job to its {@code started} event; firstTokenMillis from {@code started} to its first text */
  private record Run(double tokensPerSecond, double jobsPerSecond, List<Double> startMillis, List<Double> firstTokenMillis, long tokens, long jobs,
      double seconds) {
    /** Slices measured in turns, as one run: all their tokens and jobs over all their time. */
    static Run joined(List<Run> slices) {
      long tokens = slices.stream().mapToLong(Run::tokens).sum();
      long jobs = slices.stream().mapToLong(Run::jobs).sum();
      double seconds = slices.stream().mapToDouble(Run::seconds).sum();
      List<Double> start = slices.stream().flatMap(r -> r.startMillis().stream()).toList();
      List<Double> firstToken = slices.stream().flatMap(r -> r.firstTokenMillis().stream()).toList();
      return new Run(tokens / seconds, jobs / seconds, start, firstToken, tokens, jobs, seconds);
    }
  }

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]);
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    int clients = args.length > 2 ? Integer.parseInt(args[2]) : 32;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    List<String> sentences = Files.readAllLines(Path.of(TEST_SPLIT), StandardCharsets.UTF_8).stream()
        .filter(l -> l.contains("\t")).map(l -> l.split("\t")[0]).toList();
    Path logs = Files.createTempDirectory("inferbus-translit-bench");
    System.out.printf("transliteration, %d held-out sentences, %d clients, %d s per measurement, %d rounds, one session with %d ONNX "
        + "thread(s) (logs in %s)%n", sentences.size(), clients, seconds, rounds, ONNX_THREADS, logs);

    List<Double> batchingRatios = new ArrayList<>();
    List<Double> serviceRatios = new ArrayList<>();
    List<Double> ttft32 = new ArrayList<>();
    List<Double> ttft1 = new ArrayList<>();
    List<Double> start32 = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      Run batched;
      Run single;
      Run alone;
      Run raw;
      try (ServiceProcess service = service(jar, logs, "batched-" + round, 64); RawEngine engine = new RawEngine()) {
        int port = service.port;
        warm(port, sentences, clients, SERVICE_WARM_UP_SECONDS);
        engine.run(sentences, clients, RAW_WARM_UP_SECONDS);
        // Alternating slices: the machine's speed drifts within minutes, and each side idles while the other runs.
        int slice = Math.max(5, seconds / TURNS);
        List<Run> serviceSlices = new ArrayList<>();
        List<Run> rawSlices = new ArrayList<>();
        LocalGenerator.Turns serviceTurns = new LocalGenerator.Turns(0, 0, 0);
        LocalGenerator.Turns rawTurns = new LocalGenerator.Turns(0, 0, 0);
        double[] queueWait = new double[2];
        for (int turn = 0; turn < TURNS; turn++) {
          LocalGenerator.Turns before = serviceTurns(port);
          double[] waitBefore = queueWait(port);
          serviceSlices.add(serviceRun(port, sentences, clients, slice));
          serviceTurns = added(serviceTurns, serviceTurns(port).since(before));
          double[] waitAfter = queueWait(port);
          queueWait[0] += waitAfter[0] - waitBefore[0];
          queueWait[1] += waitAfter[1] - waitBefore[1];
          before = engine.generator.turns();
          rawSlices.add(engine.run(sentences, clients, slice));
          rawTurns = added(rawTurns, engine.generator.turns().since(before));
        }
        System.out.printf("round %d: live sequences per decoder turn, turn time: service %.1f, %.2f ms; raw engine %.1f, %.2f ms%n", round,
            perTurn(serviceTurns), serviceTurns.nanos() / 1e6 / serviceTurns.turns(), perTurn(rawTurns), rawTurns.nanos() / 1e6 / rawTurns.turns());
        System.out.printf("round %d: the service's own wait from accepting a job to its start: %.1f ms on average%n", round,
            queueWait[0] * 1000 / queueWait[1]);
        batched = Run.joined(serviceSlices);
        raw = Run.joined(rawSlices);
        alone = serviceRun(port, sentences, 1, Math.max(5, seconds / 3));
      }
      try (ServiceProcess service = service(jar, logs, "one-at-a-time-" + round, 1)) {
        warm(service.port, sentences, clients, SERVICE_WARM_UP_SECONDS);
        single = serviceRun(service.port, sentences, clients, seconds);
      }
      batchingRatios.add(batched.tokensPerSecond() / single.tokensPerSecond());
      serviceRatios.add(batched.tokensPerSecond() / raw.tokensPerSecond());
      ttft32.addAll(batched.firstTokenMillis());
      start32.addAll(batched.startMillis());
      ttft1.addAll(alone.firstTokenMillis());
      System.out.printf("round %d: batched service %.0f tokens/s (%.1f jobs/s); one sequence at a time %.0f tokens/s (%.1f jobs/s); "
              + "raw engine %.0f tokens/s -> batching %.2fx, service/raw %.2f%n", round, batched.tokensPerSecond(), batched.jobsPerSecond(),
          single.tokensPerSecond(), single.jobsPerSecond(), raw.tokensPerSecond(), batchingRatios.get(round - 1), serviceRatios.get(round - 1));
    }
    System.out.printf("%n1. continuous batching vs one sequence at a time (%d clients): %.2fx (median of %s; goal >= 4)%n", clients,
        ClosedLoopLoad.median(batchingRatios), rounded(batchingRatios));
    System.out.printf("2. service / raw engine: %.2f (median of %s; goal >= 0.85)%n", ClosedLoopLoad.median(serviceRatios), rounded(serviceRatios));
    Collections.sort(ttft1);
    Collections.sort(ttft32);
    Collections.sort(start32);
    System.out.printf("3. time to first token (started -> first progress): 1 client p50 %.1f ms p95 %.1f ms; %d clients p50 %.1f ms p95 %.1f ms%n",
        ClosedLoopLoad.at(ttft1, 0.5), ClosedLoopLoad.at(ttft1, 0.95), clients, ClosedLoopLoad.at(ttft32, 0.5), ClosedLoopLoad.at(ttft32, 0.95));
    System.out.printf("   sending a job to its started event, %d clients: p50 %.1f ms p95 %.1f ms%n", clients, ClosedLoopLoad.at(start32, 0.5),
        ClosedLoopLoad.at(start32, 0.95));
  }

  private static ServiceProcess service(Path jar, Path logs, String name, int maxActive) throws Exception {
    Path conf = logs.resolve(name + ".yaml");
    Files.writeString(conf, """
        models:
          - id: ru-latn-cyrl
            task: transliterate
            model: classpath:ru-latn-cyrl
            max-tokens: %d
            sessions: 1
            intra-op-threads: %d
            device: cpu
            max-active-sequences: %d
            max-prefill-tokens: 2048
        """.formatted(PIECE_TOKENS, ONNX_THREADS, maxActive));
    int port = ServiceProcess.freePort();
    Map<String, String> env = new HashMap<>(TurnsBenchmark.settings("bench.env"));
    env.put("INFERBUS_HTTP_PORT", String.valueOf(port));
    ServiceProcess service = ServiceProcess.start(jar, List.of("--conf", conf.toString()), env, logs.resolve(name + ".log"));
    service.port = port;
    ServiceProcess.awaitReady(port);
    return service;
  }

  /**
   * Long enough for the JIT to compile the service's hot paths: C2 was still at work after 5 s, and on
   * 2026-12-01 a fresh service warmed for 10 s ran 19-22 % fewer tokens/s than one warmed for 30 s in the
   * same run (10.9k and 11.2k against 13.9k, the raw engine 13.8k-16.2k throughout). The first round
   * also warms this JVM's own client code (HTTP, SSE parsing of some 1,500 events/s).
   */
  private static final int SERVICE_WARM_UP_SECONDS = 30;

  private static void warm(int port, List<String> sentences, int clients, int seconds) throws Exception {
    serviceRun(port, sentences, clients, seconds);
  }

  /**
   * Closed loop: each client streams one sentence's job to its end, then sends the next. The clients'
   * HTTP runs on one Vert.x event loop: the JDK's HTTP client took some 0.4 of a core here for the
   * same streams, CPU the service competes for on these 2 cores and the raw engine does not.
   */
  private static Run serviceRun(int port, List<String> sentences, int clients, int seconds) throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    io.vertx.core.http.HttpClient http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(clients));
    AtomicLong tokens = new AtomicLong();
    List<Double> start = Collections.synchronizedList(new ArrayList<>());
    List<Double> firstToken = Collections.synchronizedList(new ArrayList<>());
    try {
      ClosedLoopLoad.Figures figures = ClosedLoopLoad.run(clients, seconds, (client, n) -> {
        String sentence = sentences.get((int) ((client * 7919L + n) % sentences.size()));
        String body = "{\"task\":\"transliterate\",\"input\":" + json(sentence) + "}";
        CompletableFuture<Void> ended = new CompletableFuture<>();
        long sent = System.nanoTime();
        http.request(HttpMethod.POST, port, "127.0.0.1", "/v1/jobs")
            .compose(request -> request.putHeader("Content-Type", "application/json").putHeader("Accept", "text/event-stream").send(body))
            .onSuccess(response -> {
              StreamReader reader = new StreamReader(sent, tokens, start, firstToken);
              response.handler(RecordParser.newDelimited("\n", line -> reader.line(line.toString(StandardCharsets.UTF_8))));
              response.endHandler(v -> ended.complete(null));
              response.exceptionHandler(ended::completeExceptionally);
            })
            .onFailure(ended::completeExceptionally);
        ended.get(60, TimeUnit.SECONDS);
      });
      return new Run(tokens.get() / figures.seconds(), figures.perSecond(), start, firstToken, tokens.get(), figures.requests(), figures.seconds());
    } finally {
      vertx.close().await();
    }
  }

  private static LocalGenerator.Turns added(LocalGenerator.Turns a, LocalGenerator.Turns b) {
    return new LocalGenerator.Turns(a.turns() + b.turns(), a.liveSequences() + b.liveSequences(), a.nanos() + b.nanos());
  }

  private static double perTurn(LocalGenerator.Turns turns) {
    return (double) turns.liveSequences() / turns.turns();
  }

  /** The service's lane turns so far, from its Prometheus meters. */
  private static LocalGenerator.Turns serviceTurns(int port) throws Exception {
    String text = metrics(port);
    return new LocalGenerator.Turns((long) metricSum(text, "inferbus_generation_batch_sequences_count"),
        (long) metricSum(text, "inferbus_generation_batch_sequences_sum"), (long) (metricSum(text, "inferbus_generation_step_seconds_sum") * 1e9));
  }

  /** Seconds from acceptance to start, summed over jobs, and the count of jobs. */
  private static double[] queueWait(int port) throws Exception {
    String text = metrics(port);
    return new double[] {metricSum(text, "inferbus_job_queue_wait_seconds_sum"), metricSum(text, "inferbus_job_queue_wait_seconds_count")};
  }

  private static String metrics(int port) throws Exception {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  private static double metricSum(String exposition, String name) {
    double sum = 0;
    for (String line : exposition.split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  /** One job's event stream, line by line: when it started, its first text, and the tokens it generated. */
  private static final class StreamReader {
    private final AtomicLong tokens;
    private final long sent;
    private final List<Double> start;
    private final List<Double> firstToken;
    private String event = "";
    private long started;

    StreamReader(long sent, AtomicLong tokens, List<Double> start, List<Double> firstToken) {
      this.sent = sent;
      this.start = start;
      this.tokens = tokens;
      this.firstToken = firstToken;
    }

    void line(String line) {
      if (line.startsWith("event: ")) {
        event = line.substring(7);
        if (event.equals("started")) {
          started = System.nanoTime();
          start.add((started - sent) / 1e6);
        } else if (event.equals("progress") && started > 0) {
          firstToken.add((System.nanoTime() - started) / 1e6);
          started = 0;
        }
      } else if (line.startsWith("data: ") && event.equals("succeeded")) {
        tokens.addAndGet(intField(line, "\"generated_tokens\":"));
      }
    }
  }

  /** The same model, lane and limits in this JVM: sentences in, text out, nothing around it. */
  private static final class RawEngine implements AutoCloseable {
    private final Seq2SeqModel model;
    private final LocalGenerator generator;

    RawEngine() throws Exception {
      model = Seq2SeqModel.load(MODEL, new EngineOptions(1, ONNX_THREADS, "cpu", 1));
      generator = new LocalGenerator(model, new GenerationLane.Limits(64, 2048), PIECE_TOKENS);
    }

    Run run(List<String> sentences, int clients, int seconds) throws Exception {
      AtomicLong tokens = new AtomicLong();
      ClosedLoopLoad.Figures figures = ClosedLoopLoad.run(clients, seconds, (client, n) -> tokens.addAndGet(
          generator.generate(sentences.get((int) ((client * 7919L + n) % sentences.size())), 0, null).get(60, TimeUnit.SECONDS).generatedTokens()));
      return new Run(tokens.get() / figures.seconds(), figures.perSecond(), List.of(), List.of(), tokens.get(), figures.requests(), figures.seconds());
    }

    @Override
    public void close() throws Exception {
      try (model) {
        generator.close();
      }
    }
  }

  private static long intField(String line, String key) {
    int at = line.indexOf(key);
    if (at < 0) {
      return 0;
    }
    int from = at + key.length();
    int to = from;
    while (to < line.length() && Character.isDigit(line.charAt(to))) {
      to++;
    }
    return Long.parseLong(line.substring(from, to));
  }

  private static String json(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }


  private static List<String> rounded(List<Double> values) {
    return values.stream().map(v -> String.format("%.2f", v)).toList();
  }
}
