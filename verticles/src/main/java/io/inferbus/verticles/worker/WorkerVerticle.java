package io.inferbus.verticles.worker;

import io.inferbus.inference.JobQueue;
import io.inferbus.verticles.JobLog;
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
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * What every model worker does the same way, whatever runs the model. Workers pull: a worker tells
 * the cluster how many more jobs it can take (credits), and API nodes send jobs only to workers with
 * room, so no worker idles while another holds a backlog. Taken jobs wait in a {@link JobQueue}, most
 * urgent first; the subclass runs them. Jobs still waiting at their deadline expire; a cancelled job
 * is dropped here and stopped by the subclass.
 *
 * <p>Stopping (SIGTERM) drains: no new jobs are taken, jobs not started are handed back at once,
 * started ones finish, and whatever is left at the drain timeout is handed back too.
 */
abstract class WorkerVerticle<J extends HeldJob> extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(WorkerVerticle.class.getName());
  private static final long CREDIT_HEARTBEAT_MS = 250;
  /**
   * How long a job's start may wait to be written with its next change: a job that ends (or shows
   * progress) sooner makes one write where it made two, and one that runs longer shows it started
   * after at most this long.
   */
  private static final long START_WRITTEN_WITHIN_MS = 20;

  protected final ModelConfig model;
  protected final WorkerConfig settings;
  protected final JobJournal journal;
  protected final JobMetrics metrics;
  /** Guarded by itself: runners on other threads may take from it. */
  protected final JobQueue<J> queue;
  protected final Map<String, J> held = new HashMap<>();
  private final Duration drainTimeout;
  private final JobRecovery recovery;
  private final WorkerDirectory directory;
  private final String node;
  private WorkerInfo identity;
  private MessageConsumer<JobRequest> work;
  protected boolean draining;
  private int prefetch;
  private int announcedFree = -1;
  private int announcedLeastUrgent = -1;
  private long announcements;
  private Promise<Void> drained;
  private volatile int waitingJobs;
  /** Deadlines and waits are judged by it. */
  protected final Clock clock;

  WorkerVerticle(ModelConfig model, WorkerConfig settings, Duration agingBound, Duration drainTimeout, JobJournal journal,
      JobRecovery recovery, JobMetrics metrics, WorkerDirectory directory, String node, Clock clock) {
    this.model = model;
    this.clock = clock;
    this.settings = settings;
    this.drainTimeout = drainTimeout;
    this.journal = journal;
    this.recovery = recovery;
    this.metrics = metrics;
    this.directory = directory;
    this.node = node;
    this.queue = new JobQueue<>(agingBound);
  }

  /** What {@link #load} made ready: how many sessions run the model, and on which device. */
  protected record Loaded(int sessions, String device) {}

  /** Loads the model (off the event loop) and readies the runners. */
  protected abstract Future<Loaded> load();

  /** A job taken under this attempt. */
  protected abstract J hold(JobRequest request, int attempt);

  /** How many queue items (inputs, pieces) a job has. */
  protected abstract int items(J job);

  /** Starts whatever work the runners have room for; called after every change. */
  protected abstract void runNext();

  /** Stops the in-flight work of a job that was dropped (cancelled, expired, handed back). */
  protected abstract void stopRunning(J job);

  /** Whether no runner is busy: a draining worker is done once this holds and no job is held. */
  protected abstract boolean runnersIdle();

  /** Waiting items that keep every runner busy: beyond its prefetch, a worker asks for jobs while it holds fewer. */
  protected abstract int itemsToStayBusy();

  /**
   * The device this host can give the model (device auto: CUDA when its provider loads, else the
   * CPU), said once in the log; a device that cannot be had stops start-up with why.
   */
  protected final io.inferbus.inference.EngineOptions resolveDevice() {
    io.inferbus.inference.EngineOptions.Resolved resolved = model.engine().resolve();
    LOG.info(() -> "model " + model.id() + " runs " + resolved.note());
    return resolved.options();
  }

  /** Releases what {@link #load} took, once the drain is over. */
  protected abstract Future<Void> unload();

  protected int defaultPrefetch(int sessions) {
    return 2 * sessions;
  }

  @Override
  public Future<?> start() {
    return load()
        .compose(this::startServing)
        .compose(v -> directory.register(identity))
        .onSuccess(v -> {
          vertx.setPeriodic(CREDIT_HEARTBEAT_MS, t -> {
            expireOverdue();
            publishCredit();
          });
          publishCredit();
          LOG.info(() -> "worker for " + model.id() + " (" + model.spec().task().wireName() + ") ready: " + identity.sessions()
              + " session(s) on " + identity.device());
        });
  }

  private Future<?> startServing(Loaded loaded) {
    identity = new WorkerInfo(model.id(), node, loaded.device(), loaded.sessions());
    prefetch = settings.prefetchJobs() > 0 ? settings.prefetchJobs() : defaultPrefetch(loaded.sessions());
    work = vertx.eventBus().consumer(BusAddresses.work(model.id(), node), this::handleWork);
    MessageConsumer<JsonObject> cancel = vertx.eventBus().consumer(BusAddresses.CANCEL, this::handleCancel);
    return Future.all(work.completion(), cancel.completion());
  }

  protected final String node() {
    return node;
  }

  protected final int waitingJobsGauge() {
    return waitingJobs;
  }

  private void handleWork(Message<JobRequest> message) {
    JobRequest request = message.body();
    int attempt = Integer.parseInt(message.headers().get(BusAddresses.HEADER_ATTEMPT));
    J known = held.get(request.id());
    if (known == null || known.attempt < attempt) {
      if (draining || (waitingJobs() >= 2 * prefetch && !shortOfItems() && !overtakesAllWaiting(request))) {
        message.reply(announced(credit()).put("status", BusAddresses.FULL));
        return;
      }
      if (known != null) {
        drop(known);
      }
      J job = hold(request, attempt);
      held.put(job.id(), job);
      journal.taken(request, attempt, node);
      prepare(job).onComplete(ready -> {
        if (held.get(job.id()) == job && items(job) > 0) {
          synchronized (queue) {
            queue.add(job.id(), request.priority(), request.submittedAt(), job, items(job));
          }
        }
        runNextAndTell();
      });
    }
    message.reply(announced(credit()).put("status", BusAddresses.TAKEN));
  }

  /**
   * A full worker still takes a job more urgent than every job it holds waiting: that job runs at
   * the next batch boundary, whereas refused it would wait at the dispatcher for a free slot, a batch
   * later. At most one such job per priority level goes beyond the limit.
   */
  private boolean overtakesAllWaiting(JobRequest request) {
    return held.values().stream().filter(job -> !job.started)
        .allMatch(job -> job.request.priority().ordinal() > request.priority().ordinal());
  }

  /** What a job needs before its work can start (state left by an earlier attempt, say); runs on this verticle's context. */
  protected Future<Void> prepare(J job) {
    return Future.succeededFuture();
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
    announcedLeastUrgent = credit.getInteger("least_urgent", -1);
    return credit.put("seq", ++announcements);
  }

  /**
   * Also the body of every "taken" reply, so the dispatcher's view of this worker is always fresh.
   * Beyond its prefetch, a worker that holds less than it needs to keep its runners busy asks for
   * one more job at a time: small jobs then fill whole batches, and large ones are not hoarded.
   */
  private JsonObject credit() {
    int free = draining ? 0 : wanted(waitingJobs());
    JsonObject credit = new JsonObject().put("node", node).put("free", free);
    int leastUrgent = leastUrgentWaiting();
    if (leastUrgent >= 0) {
      credit.put("least_urgent", leastUrgent);
    }
    return credit;
  }

  /** The rank of the least urgent job held waiting; -1 when none waits. */
  private int leastUrgentWaiting() {
    return held.values().stream().filter(job -> !job.started).mapToInt(job -> job.request.priority().ordinal()).max().orElse(-1);
  }

  private int wanted(int waiting) {
    return Math.max(Math.max(0, prefetch - waiting), shortOfItems() ? 1 : 0);
  }

  private boolean shortOfItems() {
    synchronized (queue) {
      return queue.itemsWaiting() < itemsToStayBusy();
    }
  }

  protected final int waitingJobs() {
    return (int) held.values().stream().filter(job -> !job.started).count();
  }

  protected final int prefetch() {
    return prefetch;
  }

  private void handleCancel(Message<JsonObject> message) {
    J job = held.get(message.body().getString("id"));
    if (job != null) {
      drop(job);
      afterChange();
    }
  }

  /** Stops this attempt of the job; a later attempt of the same job held here meanwhile is left alone. */
  protected final void drop(J job) {
    job.stopped = true;
    cancelStartAlone(job);
    if (held.remove(job.id(), job)) {
      synchronized (queue) {
        queue.remove(job.id());
      }
    }
    stopRunning(job);
  }

  /** Jobs still waiting here at their deadline end as {@code expired}, as they would in a dispatcher's queue. */
  private void expireOverdue() {
    long now = clock.millis();
    List<J> overdue = held.values().stream().filter(job -> !job.started && now > job.request.deadline()).toList();
    overdue.forEach(this::expire);
    if (!overdue.isEmpty()) {
      afterChange();
    }
  }

  protected final void expire(J job) {
    JobLog.event(LOG, job.id(), job.request.traceparent(), () -> "expired: still waiting on " + node + " at its deadline");
    drop(job);
    inOrder(job, () -> journal.expire(job.id(), job.attempt));
  }

  /**
   * A job met for the first time starts (its {@code started} event), unless its deadline has passed
   * while it waited; false when it expired instead.
   */
  protected final boolean start(J job) {
    if (clock.millis() > job.request.deadline()) {
      expire(job);
      return false;
    }
    job.started = true;
    JobLog.event(LOG, job.id(), job.request.traceparent(), () -> "started on " + node + " (attempt " + job.attempt + ")");
    job.unwrittenStart = new JobJournal.Start(node, job.attempt, clock.millis());
    job.startAloneTimer = vertx.setTimer(START_WRITTEN_WITHIN_MS, t -> {
      job.startAloneTimer = -1;
      write(job, unwritten -> unwritten == null ? Future.succeededFuture(Optional.empty()) : journal.start(job.id(), unwritten));
    });
    return true;
  }

  protected final Future<Optional<JobRecord>> journal(J job, JobEventType type, JsonObject data) {
    return write(job, unwritten -> journal.record(job.id(), job.attempt, type, data, unwritten));
  }

  /**
   * One of the job's journal writes, after the ones before it, carrying the job's start when that is
   * not written yet. Such a write refused means the job is no longer this worker's (it ended, or
   * another attempt is current): it is dropped here.
   */
  protected final Future<Optional<JobRecord>> write(J job, Function<JobJournal.Start, Future<Optional<JobRecord>>> change) {
    return inOrder(job, () -> {
      JobJournal.Start unwritten = job.unwrittenStart;
      job.unwrittenStart = null;
      cancelStartAlone(job);
      return change.apply(unwritten).onSuccess(accepted -> {
        if (unwritten != null && accepted.isEmpty()) {
          drop(job);
          afterChange();
        }
      });
    });
  }

  private void cancelStartAlone(J job) {
    if (job.startAloneTimer >= 0) {
      vertx.cancelTimer(job.startAloneTimer);
      job.startAloneTimer = -1;
    }
  }

  /** Runs a job's journal writes one after the other, whatever became of the previous one. */
  private Future<Optional<JobRecord>> inOrder(J job, Supplier<Future<Optional<JobRecord>>> write) {
    Future<Optional<JobRecord>> written = job.journalTail.transform(previous -> write.get());
    job.journalTail = written;
    return written;
  }

  protected final void runNextAndTell() {
    runNext();
    afterChange();
  }

  /** Keeps the queue gauge current, tells the cluster when its room changed, and notices the end of a drain. */
  protected final void afterChange() {
    waitingJobs = waitingJobs();
    // The least urgent rank matters even while no slot is free: a dispatcher sends a more urgent job to a full worker.
    if (!draining && (wanted(waitingJobs) != announcedFree || leastUrgentWaiting() != announcedLeastUrgent)) {
      publishCredit();
    }
    if (drained != null && held.isEmpty() && runnersIdle()) {
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
        .eventually(this::unload);
  }

  /** Gives jobs back to the cluster under a new attempt; another worker takes them. */
  private Future<Void> handBack(Predicate<J> which, String reason) {
    List<J> leaving = held.values().stream().filter(which).toList();
    leaving.forEach(this::drop);
    if (!leaving.isEmpty()) {
      LOG.info(() -> "handing back " + leaving.size() + " job(s) of " + model.id() + ": " + reason);
    }
    afterChange();
    return Future.join(leaving.stream().map(job -> recovery.takeBack(job.id(), job.attempt, reason)).toList()).mapEmpty();
  }
}
