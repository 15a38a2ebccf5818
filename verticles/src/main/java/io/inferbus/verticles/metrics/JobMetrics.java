package io.inferbus.verticles.metrics;

import io.inferbus.verticles.jobs.JobRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/** Our own meters, next to the ones Vert.x exports. */
public final class JobMetrics {
  private final MeterRegistry registry;
  /** Meters met per job, by name and tag values: registering looks a meter up by its sorted tags, several times per job otherwise. */
  private final Map<List<String>, Meter> known = new ConcurrentHashMap<>();

  public JobMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @SuppressWarnings("unchecked")
  private <M extends Meter> M once(Supplier<M> register, String... nameAndTagValues) {
    return (M) known.computeIfAbsent(List.of(nameAndTagValues), k -> register.get());
  }

  public void submitted(JobRecord job) {
    String task = job.task().wireName();
    String priority = job.priority().wireName();
    this.<Counter>once(() -> Counter.builder("inferbus_jobs_submitted")
        .description("Jobs accepted")
        .tags("task", task, "model", job.model(), "priority", priority)
        .register(registry), "inferbus_jobs_submitted", task, job.model(), priority)
        .increment();
  }

  public void started(JobRecord job) {
    String task = job.task().wireName();
    String priority = job.priority().wireName();
    this.<Timer>once(() -> Timer.builder("inferbus_job_queue_wait")
        .description("Time from acceptance to the first batch starting")
        .tags("task", task, "model", job.model(), "priority", priority)
        .publishPercentileHistogram()
        .register(registry), "inferbus_job_queue_wait", task, job.model(), priority)
        .record(Duration.ofMillis(job.started() - job.created()));
  }

  public void finished(JobRecord job) {
    String task = job.task().wireName();
    String priority = job.priority().wireName();
    String outcome = job.status().wireName();
    String error = job.error() == null ? "none" : job.error().getString("code", "unknown");
    this.<Counter>once(() -> Counter.builder("inferbus_jobs_finished")
        .description("Jobs that reached a terminal state, by outcome and error code")
        .tags("task", task, "model", job.model(), "priority", priority, "outcome", outcome, "error", error)
        .register(registry), "inferbus_jobs_finished", task, job.model(), priority, outcome, error)
        .increment();
    this.<Timer>once(() -> Timer.builder("inferbus_job_duration")
        .description("End to end: from acceptance to the job's terminal event")
        .tags("task", task, "model", job.model(), "priority", priority, "outcome", outcome)
        .publishPercentileHistogram()
        .register(registry), "inferbus_job_duration", task, job.model(), priority, outcome)
        .record(Duration.ofMillis(Math.max(0, job.finished() - job.created())));
    if (job.started() != null) {
      this.<Timer>once(() -> Timer.builder("inferbus_job_run")
          .description("Time from the first batch starting to the job ending")
          .tags("task", task, "model", job.model(), "outcome", outcome)
          .publishPercentileHistogram()
          .register(registry), "inferbus_job_run", task, job.model(), outcome)
          .record(Duration.ofMillis(job.finished() - job.started()));
    }
  }

  /** What a worker is doing right now, read when scraped. */
  public void watchWorker(String model, IntSupplier batchesRunning, IntSupplier jobsQueued) {
    Gauge.builder("inferbus_worker_batches_running", batchesRunning::getAsInt)
        .description("Batches this worker is running now")
        .tags("model", model)
        .register(registry);
    Gauge.builder("inferbus_worker_jobs_queued", jobsQueued::getAsInt)
        .description("Jobs this worker took that have batches not started yet")
        .tags("model", model)
        .register(registry);
  }

  /** 0 closed, 1 half-open, 2 open. */
  public void watchBreaker(String model, IntSupplier state) {
    Gauge.builder("inferbus_dispatch_breaker_state", state::getAsInt)
        .description("Circuit breaker guarding dispatch to the model's workers: 0 closed, 1 half-open, 2 open")
        .tags("model", model)
        .register(registry);
  }

  public void redispatched(String model, String reason) {
    Counter.builder("inferbus_jobs_redispatched")
        .description("Jobs taken back from a lost or leaving holder and dispatched again")
        .tags("model", model, "reason", reason)
        .register(registry)
        .increment();
  }

  /** Time a worker's runners spent on batches: busy time, for utilisation per worker. */
  public void batchRun(String model, Duration duration) {
    this.<Timer>once(() -> Timer.builder("inferbus_worker_batch_run")
        .description("Time a runner spent on one batch")
        .tags("model", model)
        .register(registry), "inferbus_worker_batch_run", model)
        .record(duration);
    busy(model, duration);
  }

  /** Runner time spent on a model's work: rate(...) / inferbus_worker_sessions is the busy ratio. */
  public void busy(String model, Duration duration) {
    this.<Counter>once(() -> Counter.builder("inferbus_worker_busy_seconds")
        .description("Time this worker's sessions (runners, generation lanes) spent working, summed over sessions")
        .tags("model", model)
        .register(registry), "inferbus_worker_busy_seconds", model)
        .increment(duration.toNanos() / 1e9);
  }

  /** Sessions (runners, lanes) of a model on this worker. */
  public void watchSessions(String model, IntSupplier sessions) {
    Gauge.builder("inferbus_worker_sessions", sessions::getAsInt)
        .description("ONNX sessions (batch runners or generation lanes) of a model on this worker")
        .tags("model", model)
        .register(registry);
  }

  /** From acceptance to the first progress a worker reports: how long a client waits to see anything. */
  public void firstProgress(String task, String model, Duration duration) {
    this.<Timer>once(() -> Timer.builder("inferbus_job_time_to_first_progress")
        .description("From a job's acceptance to its first progress event")
        .tags("task", task, "model", model)
        .publishPercentileHistogram()
        .register(registry), "inferbus_job_time_to_first_progress", task, model)
        .record(duration);
  }

  /** A request refused with an error the client can act on (429 rate_limited, 422 invalid_input, ...). */
  public void refused(String code, int status) {
    Counter.builder("inferbus_requests_refused")
        .description("Requests refused, by error code (rate_limited, queue_full, 4xx validation, 503 ...)")
        .tags("code", code, "status", String.valueOf(status))
        .register(registry)
        .increment();
  }

  /** Any value this node reads when scraped (open streams, cluster members, Redis availability ...). */
  public void watch(String name, String description, IntSupplier value, String... tags) {
    Gauge.builder(name, value::getAsInt).description(description).tags(tags).register(registry);
  }

  public void queueWaiting(String model, io.inferbus.inference.Priority priority, IntSupplier waiting) {
    Gauge.builder("inferbus_queue_waiting", waiting::getAsInt)
        .description("Jobs waiting in this node's dispatch queue for a worker")
        .tags("model", model, "priority", priority.wireName())
        .register(registry);
  }

  /** Sequences decoding on a generative worker now, over all its lanes. */
  public void watchGeneration(String model, IntSupplier activeSequences) {
    Gauge.builder("inferbus_generation_active_sequences", activeSequences::getAsInt)
        .description("Sequences a generative worker is decoding now")
        .tags("model", model)
        .register(registry);
  }

  /** The meters of one generative model's lanes, looked up once: a lane turns hundreds of times a second. */
  public record GenerationMeters(Timer step, DistributionSummary sequences, Counter tokens, Timer firstToken) {
    public void turn(int liveSequences, int tokenCount, Duration duration) {
      step.record(duration);
      sequences.record(liveSequences);
      tokens.increment(tokenCount);
    }
  }

  public GenerationMeters generation(String model) {
    return new GenerationMeters(
        Timer.builder("inferbus_generation_step")
            .description("Time of one continuous-batching turn of a generation lane")
            .tags("model", model)
            .publishPercentileHistogram()
            .register(registry),
        DistributionSummary.builder("inferbus_generation_batch_sequences")
            .description("Live sequences per generation turn")
            .tags("model", model)
            .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256)
            .register(registry),
        Counter.builder("inferbus_generated_tokens")
            .description("Tokens written by generative models")
            .tags("model", model)
            .register(registry),
        Timer.builder("inferbus_generation_time_to_first_token")
            .description("Time from a generative job starting to its first visible text")
            .tags("model", model)
            .publishPercentileHistogram()
            .register(registry));
  }

  public void batch(String model, int items, int tokens) {
    this.<DistributionSummary>once(() -> DistributionSummary.builder("inferbus_inference_batch_size")
        .description("Inputs per inference batch")
        .tags("model", model)
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256)
        .register(registry), "inferbus_inference_batch_size", model)
        .record(items);
    this.<Counter>once(() -> Counter.builder("inferbus_tokens_processed")
        .description("Word pieces read by models")
        .tags("model", model)
        .register(registry), "inferbus_tokens_processed", model)
        .increment(tokens);
  }
}
