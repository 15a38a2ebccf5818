package io.inferbus.verticles.jobs;

import io.inferbus.verticles.redis.LuaScript;
import io.inferbus.verticles.redis.RedisGateway;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Jobs in Redis, so they outlive every node: the same entries as {@link SharedDataJobStore}, one
 * key per job changed by a compare-and-set script, results and requests in keys of their own and
 * holders in one hash. Any failure to reach Redis surfaces as {@link StoreUnavailableException}.
 */
public final class RedisJobStore implements JobStore {
  private static final LuaScript REPLACE_ENTRY = LuaScript.load("/redis/replace-entry.lua");
  private static final LuaScript REPLACE_FIELD = LuaScript.load("/redis/replace-field.lua");

  private final RedisGateway redis;
  private final Clock clock;
  private final long retentionMillis;

  public RedisJobStore(RedisGateway redis, Clock clock, Duration retention) {
    this.redis = redis;
    this.clock = clock;
    this.retentionMillis = retention.toMillis();
  }

  @Override
  public Future<Appended> create(JobRecord job, JobRequest request, JsonObject queuedData, String holder) {
    JobEvent first = JobEntry.firstEvent(job, queuedData);
    JsonObject entry = JobEntry.first(job, first);
    return reach(() -> redis.send(Command.SET, requestKey(job.id()), request.toJson().encode())
        .compose(v -> redis.send(Command.HSET, assignmentsKey(), job.id(), holder(job.attempt(), holder)))
        .compose(v -> redis.send(Command.SET, entryKey(job.id()), entry.encode(), "NX")))
        .compose(written -> written == null
            ? Future.failedFuture(new IllegalStateException("job " + job.id() + " exists"))
            : Future.succeededFuture(new Appended(job, List.of(first))));
  }

  @Override
  public Future<Optional<JobRecord>> get(String id) {
    return entry(id).compose(entry -> {
      if (entry.isEmpty()) {
        return Future.succeededFuture(Optional.empty());
      }
      JobRecord job = JobEntry.job(entry.get());
      if (job.status() != JobStatus.SUCCEEDED) {
        return Future.succeededFuture(Optional.of(job));
      }
      return result(id, job.attempt()).map(result -> Optional.of(job.withResult(result)));
    });
  }

  @Override
  public Future<Optional<Appended>> append(String id, int attempt, List<Proposal> proposals) {
    return change(id, JobEntry.appending(attempt, proposals));
  }

  @Override
  public Future<Optional<Appended>> requeue(String id, int attempt, String reason) {
    return change(id, JobEntry.requeueing(id, attempt, reason));
  }

  /** Compare-and-set loop: reads the entry, lets {@code decide} propose events, writes them if nobody wrote meanwhile. */
  private Future<Optional<Appended>> change(String id, Function<JobRecord, List<Proposal>> decide) {
    return reach(() -> redis.send(Command.GET, entryKey(id))).compose(read -> {
      if (read == null) {
        return Future.succeededFuture(Optional.empty());
      }
      String stored = read.toString();
      Optional<JobEntry.Change> change = JobEntry.change(id, new JsonObject(stored), decide, clock.millis());
      if (change.isEmpty()) {
        return Future.succeededFuture(Optional.empty());
      }
      boolean ended = change.get().appended().job().status().terminal();
      List<String> args = List.of(stored, change.get().updated().encode(), String.valueOf(ended ? retentionMillis : 0));
      return reach(() -> redis.eval(REPLACE_ENTRY, List.of(entryKey(id)), args)).compose(written -> {
        if (written.toInteger() == 0) {
          return change(id, decide);
        }
        if (ended) {
          forgetLive(id);
        }
        return Future.succeededFuture(Optional.of(change.get().appended()));
      });
    });
  }

  /** Not awaited: a request or holder left behind only makes recovery find an ended job, which it skips. */
  private void forgetLive(String id) {
    redis.send(Command.DEL, requestKey(id));
    redis.send(Command.HDEL, assignmentsKey(), id);
  }

  @Override
  public Future<Void> putResult(String id, int attempt, JsonObject result) {
    return reach(() -> redis.send(Command.SET, resultKey(id, attempt), result.encode(), "PX", retentionMillis)).mapEmpty();
  }

  private Future<JsonObject> result(String id, int attempt) {
    return reach(() -> redis.send(Command.GET, resultKey(id, attempt))).map(reply -> reply == null ? null : new JsonObject(reply.toBuffer()));
  }

  @Override
  public Future<List<JobEvent>> eventsAfter(String id, long seq) {
    return entry(id).compose(entry -> {
      List<JobEvent> events = entry.map(e -> JobEntry.eventsAfter(e, seq)).orElse(List.of());
      return JobEntry.endsWithResult(events) ? result(id, JobEntry.job(entry.get()).attempt()).map(result -> JobEntry.withResult(events, result)) : Future.succeededFuture(events);
    });
  }

  @Override
  public Future<Optional<JobRequest>> request(String id) {
    return reach(() -> redis.send(Command.GET, requestKey(id)))
        .map(reply -> Optional.ofNullable(reply).map(r -> JobRequest.fromJson(new JsonObject(r.toBuffer()))));
  }

  @Override
  public Future<Void> assign(JobRequest request, int attempt, String node) {
    return reach(() -> redis.eval(REPLACE_FIELD, List.of(assignmentsKey()), List.of(request.id(), holder(attempt, node)))).mapEmpty();
  }

  private static String holder(int attempt, String node) {
    return new JsonObject().put("attempt", attempt).put("node", node).encode();
  }

  @Override
  public Future<List<Assignment>> assignments() {
    return reach(() -> redis.send(Command.HGETALL, assignmentsKey())).map(reply -> {
      List<Assignment> assignments = new ArrayList<>();
      for (String jobId : reply.getKeys()) {
        JsonObject holder = new JsonObject(reply.get(jobId).toBuffer());
        assignments.add(new Assignment(jobId, holder.getInteger("attempt"), holder.getString("node")));
      }
      return assignments;
    });
  }

  private Future<Optional<JsonObject>> entry(String id) {
    return reach(() -> redis.send(Command.GET, entryKey(id))).map(reply -> Optional.ofNullable(reply).map(r -> new JsonObject(r.toBuffer())));
  }

  private static <T> Future<T> reach(Supplier<Future<T>> call) {
    return call.get().recover(failure -> Future.failedFuture(new StoreUnavailableException(failure)));
  }

  private String entryKey(String id) {
    return redis.key("job", id);
  }

  private String resultKey(String id, int attempt) {
    return redis.key("result", id + "#" + attempt);
  }

  private String requestKey(String id) {
    return redis.key("request", id);
  }

  private String assignmentsKey() {
    return redis.key("assignments");
  }
}
