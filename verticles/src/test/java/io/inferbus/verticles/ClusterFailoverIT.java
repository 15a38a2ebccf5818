package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Real JVMs of the fat jar clustered over Hazelcast on loopback: API nodes and model workers are
 * started, killed (kill -9) and restarted (SIGTERM) while jobs run. The scenarios share one
 * cluster and run in order, each leaving the cluster as the next one expects.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class ClusterFailoverIT {
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration JOBS_END = Duration.ofSeconds(180);
  /** The JVM's exit code when SIGTERM ended it after its shutdown hook (the drain) ran; a crash gives another. */
  private static final int SIGTERM_EXIT = 128 + 15;
  private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled");

  private final int clusterPort = 20000 + new Random().nextInt(2000) * 10;
  private final List<ClusterProcess> processes = new ArrayList<>();
  private final Map<String, String> workerEnv = Map.of("INFERBUS_WORKER_BATCH_ITEMS", "8");
  private ClusterProcess api1;
  private ClusterProcess worker1;
  private ClusterProcess worker2;
  private ApiClient client;

  @BeforeAll
  void startApiNode() throws Exception {
    api1 = start("api-1", "api", Map.of());
    api1.awaitReady(START);
    client = new ApiClient(api1.httpPort);
  }

  @AfterAll
  void stopAll() {
    client.close();
    processes.forEach(ClusterProcess::close);
  }

  private ClusterProcess start(String name, String role, Map<String, String> env) throws Exception {
    ClusterProcess process = ClusterProcess.start(name, role, clusterPort, env);
    processes.add(process);
    return process;
  }

  private ClusterProcess startWorker(String name) throws Exception {
    ClusterProcess worker = start(name, "worker", workerEnv);
    worker.awaitReady(START);
    client.pollUntil(name + " to be seen by the API node", START,
        () -> client.get("/v1/models").bodyAsJsonObject().getJsonArray("data").getJsonObject(0).getJsonArray("workers")
            .stream().anyMatch(w -> ((JsonObject) w).getString("node").equals(worker.nodeId())));
    return worker;
  }

  @Test
  @Order(1)
  void withNoWorkerSubmissionsAre503WithinAHundredMillisecondsThenWorkOnceOneJoins() throws Exception {
    JsonObject job = embedJob(3, 1);
    for (int i = 0; i < 3; i++) {
      assertEquals(503, client.postJson("/v1/jobs", job).statusCode());
    }
    List<Long> millis = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      long began = System.nanoTime();
      HttpResponse<Buffer> refused = client.postJson("/v1/jobs", job);
      millis.add((System.nanoTime() - began) / 1_000_000);
      JobApiTest.assertError(refused, 503, "no_worker");
      assertTrue(Integer.parseInt(refused.getHeader("Retry-After")) > 0);
    }
    Collections.sort(millis);
    assertTrue(millis.get(2) < 100, "median refusal took " + millis.get(2) + " ms: " + millis);
    assertEquals("not_ready", client.get("/health/ready").bodyAsJsonObject().getString("status"));

    worker1 = startWorker("worker-1");
    assertEquals("ready", client.get("/health/ready").bodyAsJsonObject().getString("status"));
    HttpResponse<Buffer> accepted = client.postJson("/v1/jobs", job);
    assertEquals(202, accepted.statusCode());
    assertEquals("succeeded", awaitEnd(List.of(accepted.bodyAsJsonObject().getString("id"))).get(0).getString("status"));
  }

  @Test
  @Order(2)
  void jobsSubmittedToTheApiNodeRunOnBothWorkers() throws Exception {
    worker2 = startWorker("worker-2");
    List<String> ids = submit(30, 16);
    awaitEnd(ids).forEach(job -> assertEquals("succeeded", job.getString("status")));
    Set<String> workers = new HashSet<>();
    for (String id : ids) {
      events(id).stream().filter(e -> e.type().equals("started")).forEach(e -> workers.add(e.data().getString("worker")));
    }
    assertEquals(Set.of(worker1.nodeId(), worker2.nodeId()), workers);
  }

  /**
   * A new job goes to its worker while its record is being written, and a deadline of 1 ms passes
   * meanwhile: each job still ends exactly once, with a whole log, and none is left queued.
   */
  @Test
  @Order(3)
  void jobsWhoseDeadlinePassesWhileTheyAreRecordedEndOnceAndNoneIsLeftQueued() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      HttpResponse<Buffer> accepted = client.postJson("/v1/jobs", embedJob(1, 700 + i).put("deadline_ms", 1));
      assertEquals(202, accepted.statusCode(), accepted.bodyAsString());
      ids.add(accepted.bodyAsJsonObject().getString("id"));
    }
    Set<String> ends = Set.of("succeeded", "failed", "cancelled", "expired");
    int expired = 0;
    for (String id : ids) {
      client.pollUntil("job " + id + " to end", JOBS_END, () -> ends.contains(status(id)));
      List<SseRecorder.Event> events = events(id);
      assertEquals(1, events.stream().filter(e -> ends.contains(e.type())).count(), "one end: " + events);
      assertEquals(LongStream.rangeClosed(1, events.size()).boxed().toList(), events.stream().map(SseRecorder.Event::id).toList());
      expired += events.get(events.size() - 1).type().equals("expired") ? 1 : 0;
    }
    assertTrue(expired > 0, "a deadline of 1 ms passed for some job");
  }

  @Test
  @Order(4)
  void killingAWorkerWithTwoHundredJobsInFlightLosesNone() throws Exception {
    List<String> ids = submit(200, 32);
    client.pollUntil("work to be under way on both workers", JOBS_END,
        () -> ids.subList(0, 20).stream().filter(id -> status(id).equals("succeeded")).count() >= 4);
    Instant killed = Instant.now();
    worker1.kill();

    List<JsonObject> jobs = awaitEnd(ids);
    int redispatched = 0;
    int neverStarted = 0;
    Map<String, Integer> reasons = new java.util.TreeMap<>();
    Instant firstRedispatchedDone = null;
    for (JsonObject job : jobs) {
      List<SseRecorder.Event> events = assertSucceededWholeOnce(job, 32);
      events.stream().filter(e -> e.type().equals("queued") && e.data().containsKey("reason"))
          .forEach(e -> reasons.merge(e.data().getString("reason"), 1, Integer::sum));
      if (events.stream().anyMatch(e -> e.type().equals("queued") && e.data().containsKey("reason"))) {
        redispatched++;
        neverStarted += events.get(1).type().equals("queued") && "worker_lost".equals(events.get(1).data().getString("reason")) ? 1 : 0;
        assertEquals(worker2.nodeId(), finishedBy(events), "a job taken back from the killed worker was finished by the survivor");
        Instant done = Instant.parse(job.getString("finished"));
        firstRedispatchedDone = firstRedispatchedDone == null || done.isBefore(firstRedispatchedDone) ? done : firstRedispatchedDone;
      }
    }
    assertTrue(redispatched > 0, "the killed worker held jobs that had to be dispatched again");
    assertTrue(reasons.getOrDefault("worker_lost", 0) > 0, "the membership event, not only the periodic sweep, took jobs back: " + reasons);
    // Jobs the worker held waiting (or had started less than 20 ms before) were named in no write of theirs: only the API node that
    // handed them over knew where they were.
    assertTrue(neverStarted > 0, "jobs the killed worker held before any start of theirs was written were taken back too");
    System.out.printf("[cluster] kill -9 of a worker with 200 jobs in flight: %d jobs re-dispatched %s (%d of them never started there), all 200 "
        + "succeeded; first re-dispatched job succeeded %d ms after the kill%n", redispatched, reasons, neverStarted,
        Duration.between(killed, firstRedispatchedDone).toMillis());
  }

  @Test
  @Order(5)
  void aRollingRestartOfBothWorkersUnderLoadFailsNoJob() throws Exception {
    worker1 = startWorker("worker-1b");
    List<String> ids = new CopyOnWriteArrayList<>();
    List<Integer> refusals = new CopyOnWriteArrayList<>();
    AtomicBoolean loading = new AtomicBoolean(true);
    java.util.concurrent.atomic.AtomicReference<Throwable> loadFailure = new java.util.concurrent.atomic.AtomicReference<>();
    Thread load = new Thread(() -> {
      try (ApiClient loader = new ApiClient(api1.httpPort)) {
        int n = 0;
        while (loading.get()) {
          HttpResponse<Buffer> response = loader.postJson("/v1/jobs", embedJob(16, 1000 + n++));
          if (response.statusCode() == 202) {
            ids.add(response.bodyAsJsonObject().getString("id"));
          } else {
            refusals.add(response.statusCode());
          }
          loader.clientVertx.timer(40).await();
        }
      } catch (Throwable failure) {
        loadFailure.set(failure);
      }
    }, "load");
    load.start();

    client.pollUntil("load to build up", JOBS_END, () -> ids.size() >= 20);
    List<String> restarted = List.of(worker1.nodeId(), worker2.nodeId());
    assertEquals(SIGTERM_EXIT, worker1.terminate(Duration.ofSeconds(60)), "worker-1b's exit code after SIGTERM");
    worker1 = startWorker("worker-1c");
    assertEquals(SIGTERM_EXIT, worker2.terminate(Duration.ofSeconds(60)), "worker-2's exit code after SIGTERM");
    worker2 = startWorker("worker-2b");
    int submittedDuringRestarts = ids.size();
    loading.set(false);
    load.join();

    if (loadFailure.get() != null) {
      throw new AssertionError("the load thread failed after " + ids.size() + " submissions", loadFailure.get());
    }
    assertEquals(List.of(), refusals, "every submission was accepted while one worker stayed up");
    Map<String, Integer> finishers = new java.util.TreeMap<>();
    for (JsonObject job : awaitEnd(ids)) {
      finishers.merge(finishedBy(assertSucceededWholeOnce(job, 16)), 1, Integer::sum);
    }
    assertTrue(finishers.keySet().stream().anyMatch(restarted::contains) && finishers.keySet().stream().anyMatch(n -> !restarted.contains(n)),
        "jobs were finished both by the workers that went away and by the ones that replaced them: " + finishers);
    System.out.printf("[cluster] rolling restart of both workers: %d jobs submitted during it, all succeeded, finished by %s%n",
        submittedDuringRestarts, finishers);
  }

  /**
   * Transliteration jobs streamed over SSE while the worker generating some of them is killed: each
   * job is taken back and finished by the other worker, which continues each text where its client's
   * stood (finished pieces are not run again, the piece being written replays first), so every
   * stream's text only grows and no delta is shown twice.
   */
  @Test
  @Order(6)
  void killingAWorkerMidGenerationFinishesEveryJobAndNoTextGoesBackwards() throws Exception {
    List<String[]> sentences = java.nio.file.Files.readAllLines(java.nio.file.Path.of("../inference/src/test/resources/ru-latn-cyrl/test.tsv"))
        .stream().map(line -> line.split("\t")).toList();
    List<SseRecorder> streams = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      JsonArray input = new JsonArray();
      for (int k = 0; k < 3; k++) {
        input.add(sentences.get((i * 3 + k) % sentences.size())[0]);
      }
      streams.add(client.stream(HttpMethod.POST, "/v1/jobs", new JsonObject().put("task", "transliterate").put("input", input), Map.of()));
    }
    SseRecorder victimStream = null;
    long deadline = System.nanoTime() + JOBS_END.toNanos();
    while (victimStream == null && System.nanoTime() < deadline) {
      for (SseRecorder stream : streams) {
        boolean onWorker1 = stream.events().stream().anyMatch(e -> e.type().equals("started") && worker1.nodeId().equals(e.data().getString("worker")));
        if (onWorker1 && stream.events().stream().anyMatch(e -> e.type().equals("progress"))) {
          victimStream = stream;
          break;
        }
      }
      client.clientVertx.timer(20).await();
    }
    assertTrue(victimStream != null, "a job was being generated on " + worker1.nodeId());
    worker1.kill();

    int redispatched = 0;
    for (SseRecorder stream : streams) {
      List<SseRecorder.Event> events = stream.awaitEnd(JOBS_END);
      SseRecorder.Event end = events.get(events.size() - 1);
      assertEquals("succeeded", end.type(), events.toString());
      assertEquals(1, events.stream().filter(e -> TERMINAL.contains(e.type())).count(), "one terminal event");
      List<SseRecorder.Event> logged = events.stream().filter(e -> e.id() > 0).toList();
      assertEquals(LongStream.rangeClosed(1, logged.size()).boxed().toList(), logged.stream().map(SseRecorder.Event::id).toList());
      TransliterationTest.assertTextGrows(events, end.data().getJsonObject("result").getJsonArray("texts"));
      if (events.stream().anyMatch(e -> e.type().equals("queued") && e.data().containsKey("reason"))) {
        redispatched++;
        assertEquals(worker2.nodeId(), finishedBy(events), "a job taken back from the killed worker was finished by the survivor");
      }
    }
    assertTrue(redispatched > 0, "the killed worker was generating jobs that had to run again");
    System.out.printf("[cluster] kill -9 of a worker mid-generation: %d of 24 transliteration jobs re-dispatched, all succeeded, no text went back%n",
        redispatched);
    worker1 = startWorker("worker-1d");
  }

  @Test
  @Order(7)
  void withASkewedJobMixNeitherWorkerIdlesWhileTheOtherHasABacklog() throws Exception {
    double busy1 = busySeconds(worker1);
    double busy2 = busySeconds(worker2);
    List<JsonObject> mix = new ArrayList<>();
    for (int i = 0; i < 210; i++) {
      int items = i % 21 == 0 ? 100 : 1;
      mix.add(new JsonObject().put("task", "noop").put("input", new JsonArray(Collections.nCopies(items, "x"))));
    }
    List<JsonObject> jobs = awaitEnd(submitAtOnce(mix));
    jobs.forEach(job -> assertEquals("succeeded", job.getString("status")));
    double backlogSeconds = Duration.between(
        jobs.stream().map(j -> Instant.parse(j.getString("created"))).min(Instant::compareTo).orElseThrow(),
        jobs.stream().map(j -> Instant.parse(j.getString("finished"))).max(Instant::compareTo).orElseThrow()).toMillis() / 1e3;
    double share1 = (busySeconds(worker1) - busy1) / backlogSeconds;
    double share2 = (busySeconds(worker2) - busy2) / backlogSeconds;
    System.out.printf("[cluster] skewed noop mix (10 jobs of 100 items, 200 of 1), first accepted to last finished %.2f s: worker busy %.0f %% and %.0f %%%n",
        backlogSeconds, share1 * 100, share2 * 100);
    assertTrue(share1 > 0.6 && share2 > 0.6, "both workers stayed busy: " + share1 + ", " + share2);
  }

  /** Submits from several threads, so the backlog builds faster than the workers clear it. */
  private List<String> submitAtOnce(List<JsonObject> jobs) throws Exception {
    ExecutorService submitters = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> ids = submitters.invokeAll(jobs.stream().map(job -> (Callable<String>) () -> submitJob(job)).toList());
      List<String> accepted = new ArrayList<>();
      for (Future<String> id : ids) {
        accepted.add(id.get());
      }
      return accepted;
    } finally {
      submitters.shutdownNow();
    }
  }

  /** Time the worker's runners spent on noop batches, from its own /metrics on the management port. */
  private static double busySeconds(ClusterProcess worker) {
    try (ApiClient management = new ApiClient(worker.managementPort())) {
      return management.get("/metrics").bodyAsString().lines()
          .filter(l -> l.startsWith("inferbus_worker_batch_run_seconds_sum{model=\"noop\"}"))
          .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
          .sum();
    }
  }

  private String submitJob(JsonObject job) {
    HttpResponse<Buffer> accepted = client.postJson("/v1/jobs", job);
    assertEquals(202, accepted.statusCode(), accepted.bodyAsString());
    return accepted.bodyAsJsonObject().getString("id");
  }

  @Test
  @Order(8)
  void aClientResumingAfterTheEndGetsNoContentNotAHangOrAnEndlessReconnect() {
    String id = submit(1, 4).get(0);
    awaitEnd(List.of(id));
    List<SseRecorder.Event> all = events(id);
    SseRecorder resumed = client.stream(HttpMethod.GET, "/v1/jobs/" + id + "/events", null,
        Map.of("Last-Event-ID", String.valueOf(all.get(all.size() - 1).id())));
    assertEquals(List.of(), resumed.awaitEnd(Duration.ofSeconds(30)));
    assertEquals(204, resumed.response().statusCode(), "the SSE standard's 'do not reconnect': a browser's EventSource stops here");
  }

  @Test
  @Order(9)
  void killingAnApiNodeWhileClientsStreamLetsThemResumeOnAnotherWithNothingMissed() throws Exception {
    ClusterProcess api2 = start("api-2", "api", Map.of());
    api2.awaitReady(START);
    List<SseRecorder> streams = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      streams.add(client.stream(HttpMethod.POST, "/v1/jobs", embedJob(300, 500 + i), Map.of()));
    }
    for (SseRecorder stream : streams) {
      stream.awaitEvent(JOBS_END, e -> e.type().equals("queued"));
    }
    streams.get(0).awaitEvent(JOBS_END, e -> e.type().equals("progress"));
    api1.kill();

    try (ApiClient other = new ApiClient(api2.httpPort)) {
      for (SseRecorder stream : streams) {
        List<SseRecorder.Event> before = stream.awaitClosed(Duration.ofSeconds(30)).stream().filter(e -> e.id() > 0).toList();
        String id = before.get(0).data().getString("id");
        long lastSeen = before.get(before.size() - 1).id();
        List<SseRecorder.Event> after = other.stream(HttpMethod.GET, "/v1/jobs/" + id + "/events", null,
            Map.of("Last-Event-ID", String.valueOf(lastSeen))).awaitEnd(JOBS_END);
        List<SseRecorder.Event> all = new ArrayList<>(before);
        all.addAll(after);
        assertEquals(LongStream.rangeClosed(1, all.size()).boxed().toList(), all.stream().map(SseRecorder.Event::id).toList(),
            "every event exactly once across the two API nodes");
        assertEquals("succeeded", all.get(all.size() - 1).type());
        assertEquals(300, all.get(all.size() - 1).data().getJsonObject("result").getJsonArray("embeddings").size());
        assertProgressNeverGoesBack(all);
      }
    }
  }

  @Test
  @Order(10)
  void anApiNodeOnSigtermRefusesNewJobsButKeepsItsStreamsOpenUntilTheirJobsEnd() throws Exception {
    ClusterProcess api3 = start("api-3", "api", Map.of());
    api3.awaitReady(START);
    try (ApiClient draining = new ApiClient(api3.httpPort)) {
      draining.pollUntil("api-3 to see a worker", START, () -> draining.get("/health/ready").statusCode() == 200);
      SseRecorder stream = draining.stream(HttpMethod.POST, "/v1/jobs", embedJob(1000, 900), Map.of());
      stream.awaitEvent(JOBS_END, e -> e.type().equals("progress"));
      api3.process.destroy();

      draining.pollUntil("api-3 to refuse new jobs while it drains", JOBS_END, () -> {
        HttpResponse<Buffer> response = draining.postJson("/v1/jobs", embedJob(1, 1));
        return response.statusCode() == 503 && "shutting_down".equals(response.bodyAsJsonObject().getJsonObject("error").getString("code"));
      });
      assertEquals("draining", draining.get("/health/ready").bodyAsJsonObject().getString("status"));
      List<SseRecorder.Event> events = stream.awaitEnd(JOBS_END);
      assertEquals("succeeded", events.get(events.size() - 1).type(), "the stream stayed open until its job ended: " + events.size() + " events");
      assertTrue(api3.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "api-3 exited once its stream was done");
    }
  }

  /** A job that succeeded with all its results, whose log holds every event once, in order, with one terminal event; returns the log. */
  private List<SseRecorder.Event> assertSucceededWholeOnce(JsonObject job, int inputs) {
    assertEquals("succeeded", job.getString("status"), job.encode());
    assertEquals(inputs, job.getJsonObject("result").getJsonArray("embeddings").size());
    List<SseRecorder.Event> events = events(job.getString("id"));
    assertEquals(1, events.stream().filter(e -> TERMINAL.contains(e.type())).count(), "one terminal event");
    assertEquals(LongStream.rangeClosed(1, events.size()).boxed().toList(), events.stream().map(SseRecorder.Event::id).toList());
    assertProgressNeverGoesBack(events);
    return events;
  }

  /** The worker named by the last {@code started} event: the one whose attempt finished the job. */
  private static String finishedBy(List<SseRecorder.Event> events) {
    return events.stream().filter(e -> e.type().equals("started")).reduce((first, second) -> second)
        .map(e -> e.data().getString("worker")).orElseThrow(() -> new AssertionError("no started event in " + events));
  }

  private static void assertProgressNeverGoesBack(List<SseRecorder.Event> events) {
    int done = 0;
    for (SseRecorder.Event e : events) {
      if (e.type().equals("progress")) {
        assertTrue(e.data().getInteger("done") > done, "progress went from " + done + " to " + e.data());
        done = e.data().getInteger("done");
      }
    }
  }

  private JsonObject embedJob(int inputs, long seed) {
    Random random = new Random(seed);
    JsonArray texts = new JsonArray();
    for (int i = 0; i < inputs; i++) {
      texts.add(Texts.sentence(random, 16 + random.nextInt(10)));
    }
    return new JsonObject().put("task", "embed").put("input", texts);
  }

  private List<String> submit(int jobs, int inputs) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < jobs; i++) {
      HttpResponse<Buffer> accepted = client.postJson("/v1/jobs", embedJob(inputs, i));
      assertEquals(202, accepted.statusCode(), accepted.bodyAsString());
      ids.add(accepted.bodyAsJsonObject().getString("id"));
    }
    return ids;
  }

  private String status(String id) {
    return client.get("/v1/jobs/" + id).bodyAsJsonObject().getString("status");
  }

  private List<JsonObject> awaitEnd(List<String> ids) {
    List<JsonObject> ended = new ArrayList<>();
    for (String id : ids) {
      JsonObject[] job = new JsonObject[1];
      client.pollUntil("job " + id + " to end", JOBS_END, () -> {
        job[0] = client.get("/v1/jobs/" + id).bodyAsJsonObject();
        return TERMINAL.contains(job[0].getString("status"));
      });
      ended.add(job[0]);
    }
    return ended;
  }

  private List<SseRecorder.Event> events(String id) {
    return client.stream(HttpMethod.GET, "/v1/jobs/" + id + "/events", null, Map.of()).awaitEnd(Duration.ofSeconds(30));
  }
}
