package io.inferbus.verticles.worker;

import io.inferbus.inference.JobQueue;
import io.inferbus.inference.seq2seq.GenerationLane;
import io.inferbus.inference.seq2seq.LocalGenerator;
import io.inferbus.inference.seq2seq.Seq2SeqModel;
import io.inferbus.inference.seq2seq.Sequence;
import io.inferbus.verticles.ErrorCode;
import io.inferbus.verticles.JobLog;
import io.inferbus.verticles.config.InferbusConfig.ModelConfig;
import io.inferbus.verticles.config.InferbusConfig.WorkerConfig;
import io.inferbus.verticles.dispatch.JobRecovery;
import io.inferbus.verticles.jobs.JobEvent;
import io.inferbus.verticles.jobs.JobEventType;
import io.inferbus.verticles.jobs.JobJournal;
import io.inferbus.verticles.jobs.JobRequest;
import io.inferbus.verticles.metrics.JobMetrics;
import io.inferbus.verticles.worker.GeneratingJob.PieceRef;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Runs a generative encoder-decoder (transliteration) on this node with continuous batching. Each
 * session is a {@link GenerationLane} on a thread of its own: between two decoder steps it takes the
 * most urgent waiting pieces from this worker's queue, and each step advances every live sequence of
 * every job by one token. What the lanes write comes back here, to the event loop, once per turn:
 * each job's inputs grow in order and their news is journaled as progress events.
 *
 * <p>A job dispatched again after its worker was lost continues from what its clients already saw:
 * finished pieces are not run again, and the piece being written replays its text before going on,
 * so the text never goes backwards and no delta is shown twice.
 */
public final class GenerationWorkerVerticle extends WorkerVerticle<GeneratingJob> {
  private static final Logger LOG = Logger.getLogger(GenerationWorkerVerticle.class.getName());

  private final AtomicLong sequenceIds = new AtomicLong();
  private final List<GenerationLane> lanes = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private Seq2SeqModel engine;
  private JobMetrics.GenerationMeters meters;

  public GenerationWorkerVerticle(ModelConfig model, WorkerConfig settings, Duration agingBound, Duration drainTimeout, JobJournal journal,
      JobRecovery recovery, JobMetrics metrics, WorkerDirectory directory, String node, Clock clock) {
    super(model, settings, agingBound, drainTimeout, journal, recovery, metrics, directory, node, clock);
  }

  @Override
  protected Future<Loaded> load() {
    String[] device = new String[1];
    return vertx.executeBlocking(() -> {
      io.inferbus.inference.EngineOptions engine = resolveDevice();
      device[0] = engine.device();
      return Seq2SeqModel.load(model.spec().modelLocation(), engine);
    }).map(loaded -> {
      engine = loaded;
      GenerationLane.Limits limits = new GenerationLane.Limits(model.generation().maxActiveSequences(), model.generation().maxPrefillTokens());
      for (int lane = 0; lane < engine.lanes(); lane++) {
        GenerationLane generation = new GenerationLane(engine, lane, new QueueSource(), new TurnListener(), limits);
        lanes.add(generation);
        Thread thread = new Thread(generation, "inferbus-" + model.id() + "-lane-" + lane);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
      }
      metrics.watchWorker(model.id(), () -> (int) lanes.stream().filter(l -> l.active() > 0).count(), this::waitingJobsGauge);
      metrics.watchGeneration(model.id(), () -> lanes.stream().mapToInt(GenerationLane::active).sum());
      meters = metrics.generation(model.id());
      metrics.watchSessions(model.id(), lanes::size);
      return new Loaded(engine.lanes(), device[0]);
    });
  }

  @Override
  protected int defaultPrefetch(int sessions) {
    return Math.max(2, sessions * model.generation().maxActiveSequences() / 4);
  }

  @Override
  protected GeneratingJob hold(JobRequest request, int attempt) {
    GeneratingJob job = new GeneratingJob(request, attempt, model.spec().maxTokens(), clock.millis());
    if (attempt == 1) {
      job.listItems();
    }
    return job;
  }

  /** A job's later attempt continues where its clients' text stands: read from its event log. */
  @Override
  protected Future<Void> prepare(GeneratingJob job) {
    if (job.attempt == 1) {
      return Future.succeededFuture();
    }
    return journal.store().eventsAfter(job.id(), 0).map(events -> {
      Map<Integer, JsonObject> lastShown = new HashMap<>();
      for (JobEvent event : events) {
        if (event.type() == JobEventType.PROGRESS && event.data().containsKey("text")) {
          lastShown.put(event.data().getInteger("index"), event.data());
        }
      }
      lastShown.forEach((index, shown) -> job.resume(index, shown.getString("text"),
          shown.getJsonArray("pieces", new JsonArray()).stream().map(n -> ((Number) n).intValue()).toList(), model.spec().maxTokens()));
      job.listItems();
      return (Void) null;
    }).recover(failure -> {
      JobLog.log(LOG, java.util.logging.Level.WARNING, job.id(), job.request.traceparent(),
          () -> "could not read what the job showed before (" + failure.getMessage() + "); it runs from the start");
      job.listItems();
      return Future.succeededFuture();
    }).onSuccess(v -> {
      if (job.items.isEmpty()) {
        context.runOnContext(later -> finishWithoutRunning(job));
      }
    });
  }

  @Override
  protected int items(GeneratingJob job) {
    return job.items.size();
  }

  @Override
  protected int itemsToStayBusy() {
    return lanes.size() * model.generation().maxActiveSequences();
  }

  @Override
  protected void runNext() {
    boolean waiting;
    synchronized (queue) {
      waiting = !queue.isEmpty();
    }
    if (waiting) {
      lanes.forEach(GenerationLane::wake);
    }
  }

  /** A job whose every piece an earlier attempt finished (its worker was lost just before its success). */
  private void finishWithoutRunning(GeneratingJob job) {
    if (job.stopped || held.get(job.id()) != job) {
      return;
    }
    job.startedNanos = System.nanoTime();
    if (start(job)) {
      succeed(job, job.progress());
    }
    afterChange();
  }

  @Override
  protected void stopRunning(GeneratingJob job) {
    synchronized (job.sequences) {
      job.sequences.forEach(Sequence::cancel);
    }
  }

  @Override
  protected boolean runnersIdle() {
    return lanes.stream().allMatch(lane -> lane.active() == 0);
  }

  @Override
  protected Future<Void> unload() {
    lanes.forEach(GenerationLane::stop);
    return vertx.executeBlocking(() -> {
      for (Thread thread : threads) {
        thread.join(10_000);
      }
      engine.close();
      return null;
    });
  }

  /** Applies one lane turn: every job's news becomes its progress events; finished jobs succeed. */
  private void applyTurn(List<GenerationLane.Emission> emissions, GenerationLane.TurnStats stats) {
    meters.turn(stats.live(), stats.tokens(), Duration.ofNanos(stats.nanos()));
    metrics.busy(model.id(), Duration.ofNanos(stats.nanos()));
    Set<GeneratingJob> touched = new LinkedHashSet<>();
    for (GenerationLane.Emission emission : emissions) {
      PieceRef ref = (PieceRef) emission.sequence().owner();
      GeneratingJob job = ref.job();
      if (job.stopped || held.get(job.id()) != job) {
        continue;
      }
      job.wrote(ref, emission.delta(), emission.sequence(), emission.finished());
      touched.add(job);
    }
    long now = System.nanoTime();
    long interval = settings.streamIntervalMs() * 1_000_000L;
    for (GeneratingJob job : touched) {
      if (!job.complete() && job.reportedNanos != 0 && now - job.reportedNanos < interval) {
        continue;
      }
      job.reportedNanos = now;
      List<JsonObject> progress = job.progress();
      if (!job.firstTextSeen && progress.stream().anyMatch(p -> !p.getString("delta").isEmpty())) {
        job.firstTextSeen = true;
        meters.firstToken().record(Duration.ofNanos(now - job.startedNanos));
        metrics.firstProgress(job.request.task().wireName(), model.id(),
            Duration.ofMillis(Math.max(0, clock.millis() - job.request.submittedAt())));
      }
      if (job.complete()) {
        succeed(job, progress);
      } else {
        progress.forEach(event -> journal(job, JobEventType.PROGRESS, event));
      }
    }
    afterChange();
  }

  /** Earlier inputs' last news first, then the success with the last one. */
  private void succeed(GeneratingJob job, List<JsonObject> progress) {
    held.remove(job.id());
    JsonObject last = progress.isEmpty()
        ? new JsonObject().put("done", job.inputsDone).put("total", job.inputs.size())
        : progress.get(progress.size() - 1);
    for (int i = 0; i < progress.size() - 1; i++) {
      journal(job, JobEventType.PROGRESS, progress.get(i));
    }
    JsonObject result = job.result(inputTokens(job));
    JobLog.event(LOG, job.id(), job.request.traceparent(), () -> "succeeded: " + job.generatedTokens + " token(s) generated");
    write(job, unwritten -> journal.succeed(job.request, job.attempt, last, result, unwritten));
  }

  private int inputTokens(GeneratingJob job) {
    int tokens = 0;
    for (var assembly : job.inputs) {
      for (int p = 0; p < assembly.size(); p++) {
        String piece = assembly.piece(p).text();
        if (!piece.isEmpty()) {
          tokens += engine.codec().encode(piece).length;
        }
      }
    }
    return tokens;
  }

  private void failTurn(List<Sequence> failed, Exception error) {
    Set<GeneratingJob> jobs = new LinkedHashSet<>();
    failed.forEach(sequence -> jobs.add(((PieceRef) sequence.owner()).job()));
    for (GeneratingJob job : jobs) {
      if (job.stopped || held.get(job.id()) != job) {
        continue;
      }
      JobLog.log(LOG, java.util.logging.Level.WARNING, job.id(), job.request.traceparent(),
          () -> "generation failed: " + error.getClass().getSimpleName() + ": " + error.getMessage());
      drop(job);
      write(job, unwritten -> journal.fail(job.id(), job.attempt, ErrorCode.INFERENCE_FAILED, "the model could not process the input", unwritten));
    }
    afterChange();
  }

  /** The lanes' view of this worker's queue; called on lane threads. */
  private final class QueueSource implements GenerationLane.Source {
    @Override
    public List<Sequence> take(int maxSequences, int maxInputTokens) {
      List<JobQueue.Slice<GeneratingJob>> slices;
      synchronized (queue) {
        slices = queue.nextBatch(maxSequences, maxInputTokens, (job, i) -> pieceText(job.items.get(i)).getBytes(StandardCharsets.UTF_8).length);
      }
      List<Sequence> taken = new ArrayList<>();
      for (JobQueue.Slice<GeneratingJob> slice : slices) {
        GeneratingJob job = slice.job();
        if (slice.first()) {
          context.runOnContext(v -> startGenerating(job));
        }
        for (int i = slice.from(); i < slice.to(); i++) {
          Sequence sequence = sequence(job.items.get(i));
          job.sequences.add(sequence);
          if (job.stopped) {
            sequence.cancel();
          }
          taken.add(sequence);
        }
      }
      return taken;
    }

    @Override
    public int waiting() {
      synchronized (queue) {
        return queue.itemsWaiting();
      }
    }
  }

  private void startGenerating(GeneratingJob job) {
    if (!job.stopped && held.get(job.id()) == job) {
      job.startedNanos = System.nanoTime();
      if (!start(job)) {
        afterChange();
      }
    }
  }

  private static String pieceText(PieceRef ref) {
    return ref.job().inputs.get(ref.input()).piece(ref.piece()).text();
  }

  private Sequence sequence(PieceRef ref) {
    int[] input = engine.codec().encode(pieceText(ref));
    int asked = ref.job().request.maxNewTokens();
    int limit = Math.min(engine.maxNewTokens(), asked > 0 ? asked : LocalGenerator.defaultMaxNewTokens(input.length));
    String replay = ref.job().inputs.get(ref.input()).replay(ref.piece());
    int[] replayTokens = replay.isEmpty() ? new int[0] : engine.codec().outputTokens(replay);
    return new Sequence(sequenceIds.incrementAndGet(), ref, input, limit, replayTokens, engine.codec().newDecoder());
  }

  private final class TurnListener implements GenerationLane.Listener {
    @Override
    public void onTurn(List<GenerationLane.Emission> emissions, GenerationLane.TurnStats stats) {
      context.runOnContext(v -> applyTurn(emissions, stats));
    }

    @Override
    public void onFailure(List<Sequence> failed, Exception error) {
      context.runOnContext(v -> failTurn(failed, error));
    }
  }
}
