package io.inferbus.verticles.worker;

import io.inferbus.inference.JobQueue;
import io.inferbus.inference.RunControl;
import io.inferbus.verticles.ErrorCode;
import io.inferbus.verticles.JobLog;
import io.inferbus.verticles.config.InferbusConfig.ModelConfig;
import io.inferbus.verticles.config.InferbusConfig.WorkerConfig;
import io.inferbus.verticles.dispatch.JobRecovery;
import io.inferbus.verticles.jobs.JobEventType;
import io.inferbus.verticles.jobs.JobJournal;
import io.inferbus.verticles.jobs.JobRequest;
import io.inferbus.verticles.metrics.JobMetrics;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Runs a batch model (embeddings, noop) on this node. Each ONNX session has one runner that takes
 * the next batch from the queue, across jobs, bounded by items and estimated tokens, most urgent
 * first; a job's progress is reported after each of its batches. Model runs happen on a dedicated
 * worker pool, never on the event loop.
 */
public final class BatchWorkerVerticle extends WorkerVerticle<RunningJob> {
  private static final Logger LOG = Logger.getLogger(BatchWorkerVerticle.class.getName());

  private record Batch(List<JobQueue.Slice<RunningJob>> slices, RunControl control) {}

  private final Set<Batch> running = new HashSet<>();
  private ModelBackend backend;
  private WorkerExecutor runners;
  private volatile int idleRunners;
  private long fillTimer = -1;

  public BatchWorkerVerticle(ModelConfig model, WorkerConfig settings, Duration agingBound, Duration drainTimeout, JobJournal journal,
      JobRecovery recovery, JobMetrics metrics, WorkerDirectory directory, String node, Clock clock) {
    super(model, settings, agingBound, drainTimeout, journal, recovery, metrics, directory, node, clock);
  }

  @Override
  protected Future<Loaded> load() {
    String[] device = new String[1];
    return vertx.executeBlocking(() -> {
      io.inferbus.inference.EngineOptions engine = model.spec().task() == io.inferbus.inference.Task.NOOP ? model.engine() : resolveDevice();
      device[0] = engine.device();
      return ModelBackend.load(model, engine);
    }).map(loaded -> {
      backend = loaded;
      idleRunners = backend.sessions();
      runners = vertx.createSharedWorkerExecutor("inferbus-" + model.id(), backend.sessions());
      metrics.watchWorker(model.id(), () -> backend.sessions() - idleRunners, this::waitingJobsGauge);
      metrics.watchSessions(model.id(), backend::sessions);
      return new Loaded(backend.sessions(), device[0]);
    });
  }

  @Override
  protected int defaultPrefetch(int sessions) {
    return settings.batchWaitMs() > 0 ? Math.max(2 * sessions, settings.batchItems()) : 2 * sessions;
  }

  @Override
  protected RunningJob hold(JobRequest request, int attempt) {
    return new RunningJob(request, attempt, clock.millis());
  }

  @Override
  protected int items(RunningJob job) {
    return job.request.inputs().size();
  }

  @Override
  protected int itemsToStayBusy() {
    return settings.batchItems() * backend.sessions();
  }

  @Override
  protected boolean runnersIdle() {
    return idleRunners == backend.sessions();
  }

  /** A batch whose jobs have all been dropped stops mid-run. */
  @Override
  protected void stopRunning(RunningJob job) {
    running.stream()
        .filter(batch -> batch.slices().stream().allMatch(slice -> slice.job().stopped))
        .forEach(batch -> batch.control().cancel());
  }

  @Override
  protected void runNext() {
    if (idleRunners > 0 && !queue.isEmpty()) {
      long now = clock.millis();
      long fillBy = fillDeadline();
      if (fillBy <= now) {
        takeBatches();
      } else if (fillTimer < 0) {
        fillTimer = vertx.setTimer(fillBy - now, t -> {
          fillTimer = -1;
          runNextAndTell();
        });
      }
    }
  }

  /**
   * A batch that is not full yet waits for more work, up to {@code worker.batch-wait-ms} after its
   * first job arrived; a full one starts at once, and so does one when this worker has no room to take more.
   */
  private long fillDeadline() {
    synchronized (queue) {
      if (settings.batchWaitMs() == 0 || draining || queue.itemsWaiting() >= settings.batchItems() || waitingJobs() >= prefetch()) {
        return 0;
      }
      return queue.peek().orElseThrow().takenAt + settings.batchWaitMs();
    }
  }

  private void takeBatches() {
    while (idleRunners > 0 && !queue.isEmpty()) {
      List<JobQueue.Slice<RunningJob>> next;
      synchronized (queue) {
        next = queue.nextBatch(settings.batchItems(), settings.batchTokens(), (job, i) -> backend.cost(job.request.inputs().get(i)));
      }
      List<JobQueue.Slice<RunningJob>> slices = startable(next);
      if (!slices.isEmpty()) {
        idleRunners--;
        runBatch(slices);
      }
    }
  }

  /** Jobs met for the first time start here, unless their deadline has passed while they waited. */
  private List<JobQueue.Slice<RunningJob>> startable(List<JobQueue.Slice<RunningJob>> slices) {
    List<JobQueue.Slice<RunningJob>> kept = new ArrayList<>();
    for (JobQueue.Slice<RunningJob> slice : slices) {
      if (!slice.first() || start(slice.job())) {
        kept.add(slice);
      }
    }
    return kept;
  }

  private void runBatch(List<JobQueue.Slice<RunningJob>> slices) {
    List<String> texts = new ArrayList<>();
    slices.forEach(slice -> texts.addAll(slice.job().request.inputs().subList(slice.from(), slice.to())));
    Batch batch = new Batch(slices, RunControl.create());
    running.add(batch);
    long began = System.nanoTime();
    runners.executeBlocking(() -> backend.run(texts, batch.control()), false).onComplete(result -> {
      idleRunners++;
      running.remove(batch);
      batch.control().close();
      metrics.batchRun(model.id(), Duration.ofNanos(System.nanoTime() - began));
      if (result.succeeded()) {
        batchDone(slices, result.result());
      } else {
        batchFailed(slices, result.cause());
      }
      runNextAndTell();
    });
  }

  private void batchDone(List<JobQueue.Slice<RunningJob>> slices, BatchOutput output) {
    metrics.batch(model.id(), output.outputs().length, Arrays.stream(output.tokens()).sum());
    int offset = 0;
    for (JobQueue.Slice<RunningJob> slice : slices) {
      RunningJob job = slice.job();
      if (!job.stopped) {
        if (job.done == 0) {
          metrics.firstProgress(job.request.task().wireName(), model.id(),
              Duration.ofMillis(Math.max(0, clock.millis() - job.request.submittedAt())));
        }
        job.accept(slice.from(), output, offset, slice.size());
        reportProgress(job);
      }
      offset += slice.size();
    }
  }

  private void reportProgress(RunningJob job) {
    JsonObject progress = new JsonObject().put("done", job.done).put("total", job.total());
    if (job.complete()) {
      held.remove(job.id());
      JsonObject result = backend.result(job.outputs, job.tokens);
      JobLog.event(LOG, job.id(), job.request.traceparent(), () -> "succeeded: " + job.total() + " input(s)");
      write(job, unwritten -> journal.succeed(job.request, job.attempt, progress, result, unwritten));
    } else {
      journal(job, JobEventType.PROGRESS, progress);
    }
  }

  private void batchFailed(List<JobQueue.Slice<RunningJob>> slices, Throwable cause) {
    for (JobQueue.Slice<RunningJob> slice : slices) {
      RunningJob job = slice.job();
      if (job.stopped) {
        continue;
      }
      JobLog.log(LOG, java.util.logging.Level.WARNING, job.id(), job.request.traceparent(),
          () -> "inference failed: " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
      drop(job);
      write(job, unwritten -> journal.fail(job.id(), job.attempt, ErrorCode.INFERENCE_FAILED, "the model could not process the input", unwritten));
    }
  }

  @Override
  protected Future<Void> unload() {
    return runners.close().andThen(v -> backend.close());
  }
}
