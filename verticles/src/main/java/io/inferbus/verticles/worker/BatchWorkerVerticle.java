package io.inferbus.verticles.worker;

import io.inferbus.inference.JobQueue;
import io.inferbus.verticles.ErrorCode;
import io.inferbus.inference.RunControl;
import io.inferbus.verticles.bus.BusAddresses;
import io.inferbus.verticles.config.InferbusConfig.ModelConfig;
import io.inferbus.verticles.config.InferbusConfig.WorkerConfig;
import io.inferbus.verticles.dispatch.JobRecovery;
import io.inferbus.verticles.jobs.JobEventType;
import io.inferbus.verticles.jobs.JobJournal;
import io.inferbus.verticles.jobs.JobRecord;
import io.inferbus.verticles.jobs.JobRequest;
import io.inferbus.verticles.metrics.JobMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Owns one model on this node. Workers pull: this one tells the cluster how many more jobs it can
 * take (credits), and API nodes send jobs only to workers with room, so no worker idles while
 * another holds a backlog. Taken jobs wait in a {@link JobQueue}; each ONNX session has one runner
 * that takes the next batch, across jobs, bounded by items and estimated tokens, most urgent first.
 * Model runs happen on a dedicated worker pool, never on the event loop.
 *
 * <p>Stopping (SIGTERM) drains: no new jobs are taken, jobs not started are handed back at once,
 * started ones finish, and whatever is left at the drain timeout is handed back too.
 */
public final class ModelWorkerVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(ModelWorkerVerticle.class.getName());
  private static final long CREDIT_HEARTBEAT_MS = 250;

  private record Batch(List<JobQueue.Slice<RunningJob>> slices, RunControl control) {}

  private final ModelConfig model;
  private final WorkerConfig settings;
  private final Duration drainTimeout;
  private final JobJournal journal;
  private final JobRecovery recovery;
  private final JobMetrics metrics;
  private final WorkerDirectory directory;
  private final WorkerInfo identity;
  private final JobQueue<RunningJob> queue;
  private final Map<String, RunningJob> held = new HashMap<>();
  private final Set<Batch> running = new HashSet<>();

  private ModelBackend backend;
  private WorkerExecutor runners;
  private MessageConsumer<JsonObject> work;
  private int prefetch;
  private volatile int idleRunners;
  private volatile int waitingJobs;
  private boolean draining;
  private int announcedFree = -1;
  private long announcements;
  private Promise<Void> drained;
  private long fillTimer = -1;

  public ModelWorkerVerticle(ModelConfig model, WorkerConfig settings, Duration agingBound, Duration drainTimeout, JobJournal journal,
      JobRecovery recovery, JobMetrics metrics, WorkerDirectory directory, String node) {
    this.model = model;
    this.settings = settings;
    this.drainTimeout = drainTimeout;
    this.journal = journal;
    this.recovery = recovery;
    this.metrics = metrics;
    this.directory = directory;
    this.queue = new JobQueue<>(agingBound);
    this.identity = new WorkerInfo(model.id(), node, model.engine().device(), model.engine().sessions());
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> ModelBackend.load(model))
        .compose(this::startServing)
        .compose(v -> directory.register(identity))
        .onSuccess(v -> {
          vertx.setPeriodic(CREDIT_HEARTBEAT_MS, t -> {
            expireOverdue();
            publishCredit();
          });
          publishCredit();
          LOG.info(() -> "worker for " + model.id() + " ready: " + identity.sessions() + " session(s) on " + identity.device());
        });
  }

  private Future<?> startServing(ModelBackend loaded) {
    backend = loaded;
    idleRunners = backend.sessions();
    prefetch = settings.prefetchJobs() > 0 ? settings.prefetchJobs()
        : settings.batchWaitMs() > 0 ? Math.max(2 * backend.sessions(), settings.batchItems())
        : 2 * backend.sessions();
    runners = vertx.createSharedWorkerExecutor("inferbus-" + model.id(), backend.sessions());
    metrics.watchWorker(model.id(), () -> backend.sessions() - idleRunners, () -> waitingJobs);
    work = vertx.eventBus().consumer(BusAddresses.work(model.id(), identity.node()), this::handleWork);
    MessageConsumer<JsonObject> cancel = vertx.eventBus().consumer(BusAddresses.CANCEL, this::handleCancel);
    return Future.all(work.completion(), cancel.completion());
  }

  private void handleWork(Message<JsonObject> message) {
    JobRequest request = JobRequest.fromJson(message.body());
    int attempt = Integer.parseInt(message.headers().get(BusAddresses.HEADER_ATTEMPT));
    RunningJob known = held.get(request.id());
    if (known == null || known.attempt < attempt) {
      if (draining || (waitingJobs() >= 2 * prefetch && !shortOfItems())) {
        message.reply(announced(credit()).put("status", BusAddresses.FULL));
        return;
      }
      if (known != null) {
        drop(known);
      }
      RunningJob job = new RunningJob(request, attempt);
      held.put(job.id(), job);
      queue.add(job.id(), request.priority(), request.submittedAt(), job, request.inputs().size());
    }
    runNextBatches();
    message.reply(announced(credit()).put("status", BusAddresses.TAKEN));
  }

  /**
   * How many more jobs this worker wants (enough to start one as soon as a runner frees up), and
   * the least urgent priority it holds waiting: a more urgent job is welcome even when it is full,
   * since it will overtake that one at the next batch boundary.
   */
  private void publishCredit() {
    vertx.eventBus().publish(BusAddresses.credits(model.id()), announced(credit()));
  }

  /** Numbered, because replies and announcements reach a dispatcher by different paths, in any order. */
  private JsonObject announced(JsonObject credit) {
    announcedFree = credit.getInteger("free");
    return credit.put("seq", ++announcements);
  }

  /**
   * Also the body of every "taken" reply, so the dispatcher's view of this worker is always fresh.
   * Beyond its prefetch, a worker that holds less than a full batch for each session asks for one
   * more job at a time: small jobs then fill whole batches, and large ones are not hoarded.
   */
  private JsonObject credit() {
    int free = draining ? 0 : wanted(waitingJobs());
    JsonObject credit = new JsonObject().put("node", identity.node()).put("free", free);
    held.values().stream().filter(job -> !job.started).mapToInt(job -> job.request.priority().ordinal()).max()
        .ifPresent(rank -> credit.put("least_urgent", rank));
    return credit;
  }

  private int wanted(int waiting) {
    return Math.max(Math.max(0, prefetch - waiting), shortOfItems() ? 1 : 0);
  }

  private boolean shortOfItems() {
    return queue.itemsWaiting() < settings.batchItems() * backend.sessions();
  }

  private int waitingJobs() {
    return (int) held.values().stream().filter(job -> !job.started).count();
  }

  private void handleCancel(Message<JsonObject> message) {
    RunningJob job = held.get(message.body().getString("id"));
    if (job != null) {
      drop(job);
      running.stream()
          .filter(batch -> batch.slices().stream().allMatch(slice -> slice.job().stopped))
          .forEach(batch -> batch.control().cancel());
    }
  }

  private void drop(RunningJob job) {
    job.stopped = true;
    queue.remove(job.id());
    held.remove(job.id());
  }

  private void runNextBatches() {
    if (idleRunners > 0 && !queue.isEmpty()) {
      long now = System.currentTimeMillis();
      long fillBy = fillDeadline();
      if (fillBy <= now) {
        takeBatches();
      } else if (fillTimer < 0) {
        fillTimer = vertx.setTimer(fillBy - now, t -> {
          fillTimer = -1;
          runNextBatches();
        });
      }
    }
    afterChange();
  }

  /**
   * A batch that is not full yet waits for more work, up to {@code worker.batch-wait-ms} after its
   * first job arrived; a full one starts at once, and so does one when this worker has no room to take more.
   */
  private long fillDeadline() {
    if (settings.batchWaitMs() == 0 || draining || queue.itemsWaiting() >= settings.batchItems() || waitingJobs() >= prefetch) {
      return 0;
    }
    return queue.peek().orElseThrow().takenAt + settings.batchWaitMs();
  }

  /** Jobs still waiting here at their deadline end as {@code expired}, as they would in a dispatcher's queue. */
  private void expireOverdue() {
    long now = System.currentTimeMillis();
    List<RunningJob> overdue = held.values().stream().filter(job -> !job.started && now > job.request.deadline()).toList();
    overdue.forEach(this::expire);
    if (!overdue.isEmpty()) {
      afterChange();
    }
  }

  private void expire(RunningJob job) {
    drop(job);
    inOrder(job, () -> journal.expire(job.id(), job.attempt));
  }

  private void takeBatches() {
    while (idleRunners > 0 && !queue.isEmpty()) {
      List<JobQueue.Slice<RunningJob>> slices = startable(
          queue.nextBatch(settings.batchItems(), settings.batchTokens(), (job, i) -> backend.cost(job.request.inputs().get(i))));
      if (!slices.isEmpty()) {
        idleRunners--;
        runBatch(slices);
      }
    }
  }

  /** Jobs met for the first time start here, unless their deadline has passed while they waited. */
  private List<JobQueue.Slice<RunningJob>> startable(List<JobQueue.Slice<RunningJob>> slices) {
    long now = System.currentTimeMillis();
    List<JobQueue.Slice<RunningJob>> kept = new ArrayList<>();
    for (JobQueue.Slice<RunningJob> slice : slices) {
      RunningJob job = slice.job();
      if (slice.first() && now > job.request.deadline()) {
        expire(job);
        continue;
      }
      if (slice.first()) {
        job.started = true;
        journal(job, JobEventType.STARTED, new JsonObject().put("worker", identity.node()).put("attempt", job.attempt))
            .onSuccess(accepted -> {
              if (accepted.isEmpty()) {
                drop(job);
              }
            });
      }
      kept.add(slice);
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
      runNextBatches();
    });
  }

  private void batchDone(List<JobQueue.Slice<RunningJob>> slices, BatchOutput output) {
    metrics.batch(model.id(), output.outputs().length, Arrays.stream(output.tokens()).sum());
    int offset = 0;
    for (JobQueue.Slice<RunningJob> slice : slices) {
      RunningJob job = slice.job();
      if (!job.stopped) {
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
      inOrder(job, () -> journal.succeed(job.request, job.attempt, progress, result));
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
      LOG.warning(() -> "inference failed for job " + job.id() + ": " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
      drop(job);
      inOrder(job, () -> journal.fail(job.id(), job.attempt, ErrorCode.INFERENCE_FAILED, "the model could not process the input"));
    }
  }

  private Future<Optional<JobRecord>> journal(RunningJob job, JobEventType type, JsonObject data) {
    return inOrder(job, () -> journal.record(job.id(), job.attempt, type, data));
  }

  /** Runs a job's journal writes one after the other, whatever became of the previous one. */
  private Future<Optional<JobRecord>> inOrder(RunningJob job, Supplier<Future<Optional<JobRecord>>> write) {
    Future<Optional<JobRecord>> written = job.journalTail.transform(previous -> write.get());
    job.journalTail = written;
    return written;
  }

  /** Keeps the queue gauge current, tells the cluster when its room changed, and notices the end of a drain. */
  private void afterChange() {
    waitingJobs = waitingJobs();
    if (!draining && wanted(waitingJobs) != announcedFree) {
      publishCredit();
    }
    if (drained != null && held.isEmpty() && idleRunners == backend.sessions()) {
      drained.tryComplete();
    }
  }

  @Override
  public Future<?> stop() {
    draining = true;
    drained = Promise.promise();
    publishCredit();
    return directory.unregister(identity)
        .eventually(() -> work.unregister())
        .eventually(() -> handBack(job -> !job.started, "handed_back").timeout(drainTimeout.toMillis(), TimeUnit.MILLISECONDS))
        .eventually(() -> {
          long timer = vertx.setTimer(Math.max(1, drainTimeout.toMillis()), t -> handBack(job -> true, "drain_timeout"));
          afterChange();
          return drained.future().onComplete(done -> vertx.cancelTimer(timer));
        })
        .eventually(() -> runners.close())
        .andThen(v -> backend.close());
  }

  /** Gives jobs back to the cluster under a new attempt; another worker takes them. */
  private Future<Void> handBack(Predicate<RunningJob> which, String reason) {
    List<RunningJob> leaving = held.values().stream().filter(which).toList();
    leaving.forEach(this::drop);
    if (!leaving.isEmpty()) {
      LOG.info(() -> "handing back " + leaving.size() + " job(s) of " + model.id() + ": " + reason);
    }
    afterChange();
    return Future.join(leaving.stream().map(job -> recovery.takeBack(job.id(), job.attempt, reason)).toList()).mapEmpty();
  }
}
