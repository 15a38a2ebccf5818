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
 * Jobs in Redis, so they outlive every node: the same entries as {@link HazelcastJobStore}, one
 * key per job changed by a compare-and-set script, results and requests in keys of their own and
 * holders in one hash. Any failure to reach Redis surfaces as {@link StoreUnavailableException}.
 * A node takes the entry it wrote last as current without reading it ({@link LastWritten}).
 */
public final class RedisJobStore implements JobStore {
  private static final LuaScript CREATE_JOB = LuaScript.load("/redis/create-job.lua");
  private static final LuaScript REPLACE_ENTRY = LuaScript.load("/redis/replace-entry.lua");
  private static final LuaScript REPLACE_FIELD = LuaScript.load("/redis/replace-field.lua");

  private final RedisGateway redis;
  private final Clock clock;
  private final long retentionMillis;
  private final LastWritten<String> lastWritten = new LastWritten<>();

  public RedisJobStore(RedisGateway redis, Clock clock, Duration retention) {
    this.redis = redis;
    this.clock = clock;
    this.retentionMillis = retention.toMillis();
  }

  @Override
  public Future<Appended> create(JobRecord job, JobRequest request, JsonObject queuedData, String holder) {
    JobEvent first = JobEntry.firstEvent(job, queuedData);
    JsonObject entry = JobEntry.first(job, first);
    String encoded = entry.encode();
    return reach(() -> redis.eval(CREATE_JOB, List.of(entryKey(job.id()), requestKey(job.id()), assignmentsKey()),
            List.of(encoded, request.toJson().encode(), job.id(), holder(job.attempt(), holder))))
        .compose(created -> {
          if (created.toInteger() == 0) {
            return Future.failedFuture(new IllegalStateException("job " + job.id() + " exists"));
          }
          lastWritten.remember(job.id(), encoded);
          return Future.succeededFuture(new Appended(job, List.of(first)));
        });
  }

  /** The entry built again from the same record encodes to the same JSON, which the compare-and-set compares. */
  @Override
  public void taken(JobRequest request, JsonObject queuedData, String node) {
    JobRecord job = JobRecord.queued(request);
    lastWritten.remember(job.id(), JobEntry.first(job, JobEntry.firstEvent(job, queuedData)).encode());
  }

  @Override
  public Future<Optional<JobRecord>> get(String id) {
    return entry(id).compose(entry -> JobEntry.job(entry, job -> result(id, job.attempt())));
  }

  @Override
  public Future<Optional<Appended>> append(String id, int attempt, List<Proposal> proposals) {
    return change(id, JobEntry.appending(attempt, proposals));
  }

  @Override
  public Future<Optional<Appended>> requeue(String id, int attempt, String reason) {
    return change(id, JobEntry.requeueing(id, attempt, reason));
  }

  /**
   * Compare-and-set loop: lets {@code decide} propose events on the entry, writes them if nobody
   * wrote meanwhile. The entry this node wrote last is taken as current without reading it; when
   * someone else wrote since, the write is refused and the loop reads the entry.
   */
  private Future<Optional<Appended>> change(String id, Function<JobRecord, List<Proposal>> decide) {
    String known = lastWritten.get(id);
    Future<String> current = known != null ? Future.succeededFuture(known)
        : reach(() -> redis.send(Command.GET, entryKey(id))).map(read -> read == null ? null : read.toString());
    return current.compose(stored -> {
      if (stored == null) {
        return Future.succeededFuture(Optional.empty());
      }
      Optional<JobEntry.Change> change = JobEntry.change(id, new JsonObject(stored), decide, clock.millis());
      if (change.isEmpty()) {
        if (known != null) {
          lastWritten.forget(id, known);
          return change(id, decide);
        }
        return Future.succeededFuture(Optional.empty());
      }
      boolean ended = change.get().appended().job().status().terminal();
      String updated = change.get().updated().encode();
      List<String> args = List.of(stored, updated, String.valueOf(ended ? retentionMillis : 0));
      return reach(() -> redis.eval(REPLACE_ENTRY, List.of(entryKey(id)), args)).compose(written -> {
        if (written.toInteger() == 0) {
          lastWritten.forget(id, stored);
          return change(id, decide);
        }
        if (ended) {
          lastWritten.forget(id);
          forgetLive(id);
        } else {
          lastWritten.remember(id, updated);
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
    return entry(id).compose(entry -> JobEntry.eventsAfter(entry, seq, job -> result(id, job.attempt())));
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
