package io.inferbus.verticles.dispatch;

import io.inferbus.inference.DispatchLane;
import io.inferbus.inference.UnconfirmedHandOvers;
import io.inferbus.verticles.ErrorCode;
import io.inferbus.verticles.JobLog;
import io.inferbus.verticles.jobs.Traceparent;
import io.inferbus.inference.Priority;
import io.inferbus.verticles.bus.BusAddresses;
import io.inferbus.verticles.config.InferbusConfig.DispatchConfig;
import io.inferbus.verticles.config.InferbusConfig.SchedulingConfig;
import io.inferbus.verticles.jobs.JobEvent;
import io.inferbus.verticles.jobs.JobEventType;
import io.inferbus.verticles.jobs.JobJournal;
import io.inferbus.verticles.jobs.JobRequest;
import io.inferbus.verticles.metrics.JobMetrics;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * This node's queue of jobs waiting for a worker, one lane per model. Jobs wait here, ordered by
 * priority with aging, until a worker says it has room (a credit on {@code inferbus.credits.<model>});
 * then the first job goes to the worker with the most room, which confirms it took it. A job a worker
 * did not confirm goes back to its place after a backoff, a bounded number of times. A job still
 * waiting at its deadline expires. Waiting jobs hear their position. A circuit breaker per model
 * turns failing hand-overs into fast refusals at submission.
 *
 * <p>Called from several verticles' contexts; each lane is guarded by its own lock.
 */
public final class JobDispatcher extends VerticleBase {
  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(JobDispatcher.class.getName());
  private static final Duration CREDIT_LIFETIME = Duration.ofSeconds(1);

  /** How long past its deadline a job handed to a worker is remembered when no news of it came back. */
  private static final long HAND_OVER_MEMORY_MARGIN_MS = 60_000;

  private static final long FIRST_BACKOFF_MS = 100;
  private static final long LAST_BACKOFF_MS = 3_200;

  /** @param failedTries hand-overs of this job that no worker confirmed */
  private record Waiting(JobRequest request, int attempt, int failedTries) {}

  /** How a hand-over ended: a worker's reply, or the failure that left it unconfirmed. */
  private record Outcome(JsonObject reply, Throwable failure) {}

  /** The choices ({@link DispatchLane}) and what carries them out: deadline timers and the breaker. */
  private final class Lane {
    final String model;
    final DispatchLane<Waiting> waiting;
    final Map<String, Long> deadlineTimers = new HashMap<>();
    final CircuitBreaker breaker;

    Lane(String model) {
      this.model = model;
      this.waiting = new DispatchLane<>(Duration.ofSeconds(scheduling.agingBoundSeconds()), CREDIT_LIFETIME, clock);
      this.breaker = CircuitBreaker.create("dispatch-" + model, vertx, new CircuitBreakerOptions()
          .setMaxFailures(config.breakerFailures())
          .setResetTimeout(config.breakerResetMs())
          .setTimeout(-1)
          .setNotificationAddress(null));
    }
  }

  private final JobJournal journal;
  private final DispatchConfig config;
  private final SchedulingConfig scheduling;
  private final JobMetrics metrics;
  private final List<String> models;
  private final String self;
  private final Clock clock;
  private final Map<String, Lane> lanes = new HashMap<>();
  /** New jobs sent while their record is being written, until it is. */
  private final Map<String, Future<?>> recording = new ConcurrentHashMap<>();
  private final UnconfirmedHandOvers unconfirmed = new UnconfirmedHandOvers(HAND_OVER_MEMORY_MARGIN_MS);
  /**
   * Where the job is, between its hand-over and its start: a hand-over writes nothing when the store's
   * starts name their worker and this node hears every job event (this flag); the store
   * then names this node, which created or took back the job, until the start. This node answers for the
   * job meanwhile: noted before it is sent, the hand-over is settled by its start (or a later attempt, or
   * the end), and should the worker's node leave first, {@link #takeBackUnconfirmed} gives the job to
   * recovery. Otherwise the worker is written as the holder once it confirms.
   */
  private final boolean holdsUntilStartHeard;

  /** @param hearsJobEvents whether this node's {@code JobEventRelay} passes every job event to {@link #heard} */
  public JobDispatcher(JobJournal journal, DispatchConfig config, SchedulingConfig scheduling, JobMetrics metrics, List<String> models,
      String self, boolean hearsJobEvents, Clock clock) {
    this.journal = journal;
    this.holdsUntilStartHeard = hearsJobEvents && journal.store().startNamesHolder();
    this.clock = clock;
    this.self = self;
    this.config = config;
    this.scheduling = scheduling;
    this.metrics = metrics;
    this.models = models;
  }

  @Override
  public Future<?> start() {
    List<Future<?>> consumers = new ArrayList<>();
    for (String model : models) {
      Lane lane = new Lane(model);
      lanes.put(model, lane);
      watch(lane);
      MessageConsumer<JsonObject> credits = vertx.eventBus().consumer(BusAddresses.credits(model), m -> handleCredit(lane, m));
      consumers.add(credits.completion());
    }
    MessageConsumer<JsonObject> cancel = vertx.eventBus().consumer(BusAddresses.CANCEL, m -> forget(m.body().getString("id")));
    consumers.add(cancel.completion());
    vertx.setPeriodic(scheduling.positionUpdatesMs(), t -> {
      lanes.values().forEach(this::announcePositions);
      unconfirmed.forgetOlderThan(clock.millis());
    });
    return Future.all(consumers);
  }

  private void watch(Lane lane) {
    for (Priority priority : Priority.values()) {
      metrics.queueWaiting(lane.model, priority, () -> {
        synchronized (lane) {
          return lane.waiting.waiting(priority);
        }
      });
    }
    metrics.watchBreaker(lane.model, () -> switch (lane.breaker.state()) {
      case CLOSED -> 0;
      case HALF_OPEN -> 1;
      case OPEN -> 2;
    });
  }

  public boolean breakerOpen(String model) {
    return lanes.get(model).breaker.state() == CircuitBreakerState.OPEN;
  }

  /** True when the model's queue on this node already holds its limit of jobs of this priority. */
  public boolean full(String model, Priority priority) {
    Lane lane = lanes.get(model);
    synchronized (lane) {
      return lane.waiting.waiting(priority) >= scheduling.maxQueued().get(priority.ordinal());
    }
  }

  /** Queues attempt {@code attempt} of the job here until a worker with room takes it, or its deadline passes. */
  public void dispatch(JobRequest request, int attempt) {
    enqueue(new Waiting(request, attempt, 0));
  }

  /**
   * Queues a new job whose record is still being written (see {@code JobStore#sendsBeforeCreated}):
   * it may go to a worker meanwhile, but what this dispatcher writes about it (its holder, expiry,
   * failure or next attempt) waits for the record. A job whose record could not be written leaves
   * the queue; one already sent runs to no one's notice, the client having been refused.
   */
  public void dispatchWhileRecorded(JobRequest request, Future<?> recorded) {
    recording.put(request.id(), recorded);
    recorded.onComplete(done -> {
      recording.remove(request.id());
      if (done.failed()) {
        forget(request.id());
      }
    });
    dispatch(request, 1);
  }

  /** Completes once the job's record is written: at once, unless it is still being written. */
  private Future<Void> recorded(String jobId) {
    Future<?> written = recording.get(jobId);
    return written == null ? Future.succeededFuture() : written.mapEmpty();
  }

  private void enqueue(Waiting job) {
    JobRequest request = job.request();
    int attempt = job.attempt();
    Lane lane = lanes.get(request.model());
    synchronized (lane) {
      lane.waiting.add(request.id(), request.priority(), request.submittedAt(), job);
      long wait = Math.max(1, request.deadline() - clock.millis());
      lane.deadlineTimers.put(request.id(), vertx.setTimer(wait, t -> expire(lane, request.id(), attempt)));
      handOver(lane);
    }
  }

  /** Cancels a job: it leaves this node's queue, and workers holding it drop it (control message). */
  public void cancel(String id) {
    vertx.eventBus().publish(BusAddresses.CANCEL, new JsonObject().put("id", id));
  }

  private void forget(String id) {
    for (Lane lane : lanes.values()) {
      synchronized (lane) {
        if (lane.waiting.remove(id)) {
          Long timer = lane.deadlineTimers.remove(id);
          if (timer != null) {
            vertx.cancelTimer(timer);
          }
        }
      }
    }
  }

  private void expire(Lane lane, String id, int attempt) {
    synchronized (lane) {
      lane.deadlineTimers.remove(id);
      if (!lane.waiting.remove(id)) {
        return;
      }
    }
    JobLog.event(LOG, id, null, () -> "expired: still queued at its deadline");
    recorded(id).onSuccess(v -> journal.expire(id, attempt));
  }

  private void handleCredit(Lane lane, Message<JsonObject> message) {
    takeCredit(lane, message.body());
  }

  /** A worker's room, from its announcements and from its answers to hand-overs. */
  private void takeCredit(Lane lane, JsonObject credit) {
    synchronized (lane) {
      lane.waiting.credit(credit.getString("node"), credit.getInteger("free"), credit.getInteger("least_urgent", -1), credit.getLong("seq"));
      handOver(lane);
    }
  }

  /** Sends the jobs the lane lets go now. */
  private void handOver(Lane lane) {
    for (DispatchLane.HandOver<Waiting> handOver : lane.waiting.handOvers()) {
      Long timer = lane.deadlineTimers.remove(handOver.jobId());
      if (timer != null) {
        vertx.cancelTimer(timer);
      }
      send(lane, handOver.job(), handOver.node());
    }
  }

  private void send(Lane lane, Waiting job, String node) {
    JobRequest request = job.request();
    DeliveryOptions options = new DeliveryOptions()
        .setSendTimeout(config.timeoutMs())
        .addHeader(BusAddresses.HEADER_JOB_ID, request.id())
        .addHeader(BusAddresses.HEADER_PRIORITY, request.priority().wireName())
        .addHeader(BusAddresses.HEADER_ATTEMPT, String.valueOf(job.attempt()))
        .addHeader(BusAddresses.HEADER_DEADLINE, String.valueOf(request.deadline()));
    if (request.traceparent() != null) {
      options.addHeader(Traceparent.HEADER, request.traceparent());
    }
    boolean tracked = holdsUntilStartHeard && !node.equals(self);
    if (tracked) {
      unconfirmed.taken(request.id(), job.attempt(), node, request.deadline());
    }
    lane.breaker.<Outcome>execute(() -> vertx.eventBus()
            .<JsonObject>request(BusAddresses.work(request.model(), node), request, options)
            .map(reply -> new Outcome(reply.body(), null))
            .recover(failure -> anotherWorkerHasRoom(lane, node)
                ? Future.succeededFuture(new Outcome(null, failure))
                : Future.failedFuture(failure)))
        .onComplete(outcome -> {
          Outcome handOver = outcome.succeeded() ? outcome.result() : new Outcome(null, outcome.cause());
          if (handOver.reply() != null && BusAddresses.TAKEN.equals(handOver.reply().getString("status"))) {
            JobLog.event(LOG, request.id(), request.traceparent(), () -> "handed to worker " + node + " (attempt " + job.attempt() + ")");
            if (!tracked && !node.equals(self)) {
              recorded(request.id()).onSuccess(v -> journal.hold(request, job.attempt(), node));
            }
            takeCredit(lane, handOver.reply());
          } else if (handOver.reply() != null) {
            unconfirmed.withdrawn(request.id(), job.attempt());
            takeCredit(lane, handOver.reply().put("free", 0));
            enqueue(job);
          } else {
            if (!timedOut(handOver.failure())) {
              unconfirmed.withdrawn(request.id(), job.attempt());
            }
            synchronized (lane) {
              lane.waiting.forgetWorker(node);
            }
            unconfirmed(job, handOver.failure());
          }
        });
  }

  /** News of a job from whichever node wrote it: a start, a job back in a queue, or its end, settles its hand-over. */
  public void heard(JobEvent event) {
    if (event.type().terminal()) {
      unconfirmed.ended(event.jobId());
    } else if (event.type() == JobEventType.STARTED && event.data().containsKey("attempt")) {
      unconfirmed.settled(event.jobId(), event.data().getInteger("attempt"));
    } else if (event.type() == JobEventType.QUEUED && event.seq() > 1 && event.data().containsKey("attempt")) {
      unconfirmed.settled(event.jobId(), event.data().getInteger("attempt") - 1);
    }
  }

  /** Jobs handed to departed nodes whose start this node has not heard of: the store still names this node their holder. */
  public List<UnconfirmedHandOvers.HandOver> takeBackUnconfirmed(Predicate<String> gone) {
    return unconfirmed.takeBackFrom(gone);
  }

  /** A hand-over that recovery could not take back this time: the next sweep tries again. */
  public void stillUnconfirmed(UnconfirmedHandOvers.HandOver handOver) {
    unconfirmed.taken(handOver.jobId(), handOver.attempt(), handOver.node(), handOver.deadline());
  }

  private boolean anotherWorkerHasRoom(Lane lane, String node) {
    synchronized (lane) {
      return lane.waiting.anotherWorkerHasRoom(node);
    }
  }

  /**
   * No worker confirmed the job: it goes back to its place after a backoff, and fails after
   * {@code dispatch.attempts} such tries. A refusal by an open breaker is not a try. When the worker
   * did not answer in time it may still have taken the job, so the job moves to a new attempt first:
   * whatever that worker reports later is refused.
   */
  private void unconfirmed(Waiting job, Throwable failure) {
    if (failure instanceof OpenCircuitException) {
      enqueue(job);
      return;
    }
    int tries = job.failedTries() + 1;
    JobRequest request = job.request();
    if (tries >= config.attempts()) {
      JobLog.log(LOG, java.util.logging.Level.INFO, request.id(), request.traceparent(),
          () -> "no worker of " + request.model() + " confirmed the job in " + tries + " tries: it fails with no_worker");
      recorded(request.id()).onSuccess(v -> journal.fail(request.id(), job.attempt(), ErrorCode.NO_WORKER,
          "no worker of model '" + request.model() + "' confirmed the job in " + tries + " tries"));
      return;
    }
    Future<Integer> attempt = timedOut(failure) ? nextAttempt(request, job.attempt()) : Future.succeededFuture(job.attempt());
    attempt.onSuccess(next -> {
      if (next > 0) {
        long backoff = Math.min(LAST_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(tries - 1, 16));
        vertx.setTimer(backoff, t -> enqueue(new Waiting(request, next, tries)));
      }
    });
  }

  private static boolean timedOut(Throwable failure) {
    return failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.TIMEOUT;
  }

  /** The job's next attempt, held by this node; 0 when the job has ended or someone else took it back meanwhile. */
  private Future<Integer> nextAttempt(JobRequest request, int attempt) {
    return recorded(request.id()).compose(v -> journal.requeue(request.id(), attempt, "handover_timeout")).compose(requeued -> requeued
        .map(job -> journal.hold(request, job.attempt(), self).map(v -> job.attempt()))
        .orElseGet(() -> Future.succeededFuture(0)));
  }

  /** Positions are news, not history: they go on the bus only, not into the job's log. */
  private void announcePositions(Lane lane) {
    List<DispatchLane.Position> changed;
    synchronized (lane) {
      changed = lane.waiting.positionsChanged(Duration.ofMillis(scheduling.positionUpdatesMs()));
    }
    long now = clock.millis();
    for (DispatchLane.Position position : changed) {
      JsonObject data = new JsonObject().put("id", position.jobId()).put("status", "queued").put("position", position.position());
      if (position.estimatedWaitMs() >= 0) {
        data.put("estimated_wait_ms", position.estimatedWaitMs());
      }
      vertx.eventBus().publish(BusAddresses.JOB_EVENTS, new JobEvent(position.jobId(), 0, JobEventType.QUEUED, data, now));
    }
  }
}
