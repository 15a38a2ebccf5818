package io.inferbus.verticles.jobs;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import com.hazelcast.projection.Projection;
import com.hazelcast.query.Predicate;
import io.inferbus.verticles.jobs.JobStore.Appended;
import io.inferbus.verticles.jobs.JobStore.Proposal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Changes to a job's entry that Hazelcast runs where the entry lives, atomically, in one round trip
 * and without blocking the caller (no read, compare and retry). Entries are JSON text. Hazelcast
 * runs an operation again when the member it went to left meanwhile, and the promoted backup may
 * already hold the first run's write: each change carries an id, and the entry remembers the
 * last ones it applied, so a second run answers what the first one appended instead of appending twice.
 */
final class JobEntryProcessors {
  /** The entry's field listing the last changes applied: {@code [[id, firstSeq, lastSeq], ...]}. */
  private static final String APPLIED = "applied";
  private static final int APPLIED_KEPT = 8;
  /** A change's answer where the job has no entry: unknown, forgotten, or its creation not landed yet. */
  static final String ABSENT = "absent";
  /** The entry's field holding a small result, written with the success. */
  static final String RESULT = "result";
  /**
   * A live job's holder, {@code {"node", "attempt"}}: the node recovery asks about when members
   * leave. Always the entry's first field, so a scan for live jobs reads no further; the change that
   * ends the job removes it, with the request.
   */
  static final String HOLDER = "holder";
  private static final String LIVE_PREFIX = "{\"" + HOLDER + "\":";
  /** A live job's small request, what recovery dispatches again. */
  static final String REQUEST = "request";
  /** Set on a live job whose request is large, and so kept in a map of its own. */
  static final String REQUEST_APART = "request_apart";

  private JobEntryProcessors() {}

  /**
   * Stores a new job's entry, unless the job's first start wrote it already: the job was sent to
   * its worker before this write landed (job ids are random, so an entry under the key is this job's).
   */
  public static final class Create implements EntryProcessor<String, String, Void>, DataSerializable {
    private String value;

    public Create() {}

    Create(String value) {
      this.value = value;
    }

    @Override
    public Void process(Map.Entry<String, String> stored) {
      if (stored.getValue() == null) {
        stored.setValue(value);
      }
      return null;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(value);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      value = in.readString();
    }
  }

  /**
   * Appends events by {@link JobEntry}'s rules (or hands the job out again), answers the
   * {@link Appended} as JSON, null when refused, or {@link #ABSENT}. An ending change starts the
   * entry's retention time in the same write and drops the holder and request; a success may bring
   * its small result along; a start makes its worker the holder.
   */
  public static final class Change implements EntryProcessor<String, String, String>, DataSerializable {
    private String changeId;
    private boolean requeue;
    private int attempt;
    private String proposals;
    private String reason;
    private String result;
    private long now;
    private long retentionMillis;
    /** The node that holds the job once this change is applied; null: the holder stays. */
    private String heldBy;
    /** The entry to change when there is none yet: a first start that overtook its job's creation. */
    private String initial;
    /** What this run wrote, for the backups: they store it rather than decide again. */
    private transient Write<String> written;

    public Change() {}

    static Change appending(String changeId, int attempt, List<Proposal> proposals, JsonObject result, long now, long retentionMillis) {
      Change change = new Change();
      change.changeId = changeId;
      change.attempt = attempt;
      JsonArray encoded = new JsonArray();
      proposals.forEach(p -> {
        JsonObject proposal = new JsonObject().put("type", p.type().wireName()).put("data", p.data());
        encoded.add(p.at() > 0 ? proposal.put("at", p.at()) : proposal);
      });
      change.proposals = encoded.encode();
      change.result = result == null ? null : result.encode();
      change.now = now;
      change.retentionMillis = retentionMillis;
      return change;
    }

    /** A start: its worker holds the job from now on. */
    Change heldBy(String node) {
      heldBy = node;
      return this;
    }

    /** The job's first change from its worker: it writes the job's entry first if the creation has not landed yet. */
    Change orCreating(String firstEntry) {
      initial = firstEntry;
      return this;
    }

    static Change requeueing(String changeId, int attempt, String reason, long now) {
      Change change = new Change();
      change.changeId = changeId;
      change.requeue = true;
      change.attempt = attempt;
      change.reason = reason;
      change.now = now;
      return change;
    }

    @Override
    public String process(Map.Entry<String, String> stored) {
      String value = stored.getValue() != null ? stored.getValue() : initial;
      if (value == null) {
        return ABSENT;
      }
      String id = stored.getKey();
      JsonObject entry = new JsonObject(value);
      JsonArray applied = entry.getJsonArray(APPLIED, new JsonArray());
      Optional<String> earlier = answerOfEarlierRun(id, entry, applied);
      if (earlier.isPresent()) {
        return earlier.get();
      }
      Optional<JobEntry.Change> change = JobEntry.change(id, entry, decision(id), now);
      if (change.isEmpty()) {
        return null;
      }
      Appended appended = change.get().appended();
      boolean ended = appended.job().status().terminal();
      JsonObject updated = ended ? change.get().updated()
          : withLiveFields(entry, change.get().updated(), heldBy == null ? entry.getJsonObject(HOLDER) : holder(attempt, heldBy));
      if (result != null && appended.job().status() == JobStatus.SUCCEEDED) {
        updated.put(RESULT, new JsonObject(result));
      }
      JsonArray remembered = new JsonArray();
      for (int i = Math.max(0, applied.size() - APPLIED_KEPT + 1); i < applied.size(); i++) {
        remembered.add(applied.getValue(i));
      }
      List<JobEvent> events = appended.events();
      remembered.add(new JsonArray().add(changeId).add(events.get(0).seq()).add(events.get(events.size() - 1).seq()));
      updated.put(APPLIED, remembered);
      written = new Write<>(updated.encode(), ended ? retentionMillis : 0);
      written.process(stored);
      // The change that ends a job whose request the store keeps apart says so: that request is forgotten now.
      return answer(appended, ended && entry.getBoolean(REQUEST_APART, false));
    }

    /** Null when this run changed nothing: then the backups have nothing to do either. */
    @Override
    public EntryProcessor<String, String, String> getBackupProcessor() {
      return written;
    }

    private Optional<String> answerOfEarlierRun(String id, JsonObject entry, JsonArray applied) {
      for (int i = 0; i < applied.size(); i++) {
        JsonArray change = applied.getJsonArray(i);
        if (changeId.equals(change.getString(0))) {
          List<JobEvent> events = JobEntry.eventsAfter(entry, change.getLong(1) - 1).subList(0, (int) (change.getLong(2) - change.getLong(1) + 1));
          return Optional.of(answer(new Appended(JobEntry.job(entry), events), false));
        }
      }
      return Optional.empty();
    }

    private Function<JobRecord, List<Proposal>> decision(String id) {
      if (requeue) {
        return JobEntry.requeueing(id, attempt, reason);
      }
      JsonArray encoded = new JsonArray(proposals);
      List<Proposal> list = new ArrayList<>(encoded.size());
      for (int i = 0; i < encoded.size(); i++) {
        JsonObject proposal = encoded.getJsonObject(i);
        list.add(new Proposal(JobEventType.fromWireName(proposal.getString("type")), proposal.getJsonObject("data"), proposal.getLong("at", 0L)));
      }
      return JobEntry.appending(attempt, list);
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(changeId);
      out.writeBoolean(requeue);
      out.writeInt(attempt);
      out.writeString(proposals);
      out.writeString(reason);
      out.writeString(result);
      out.writeLong(now);
      out.writeLong(retentionMillis);
      out.writeString(heldBy);
      out.writeString(initial);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      changeId = in.readString();
      requeue = in.readBoolean();
      attempt = in.readInt();
      proposals = in.readString();
      reason = in.readString();
      result = in.readString();
      now = in.readLong();
      retentionMillis = in.readLong();
      heldBy = in.readString();
      initial = in.readString();
    }
  }

  /**
   * Records which node holds a live job's current attempt; answers whether it did. A job that has
   * ended, or moved on to another attempt, keeps the holder it has: a late hand-over answer must not
   * leave a holder behind for good, nor take a job away from the node that took it back.
   */
  public static final class Hold implements EntryProcessor<String, String, Boolean>, DataSerializable {
    private int attempt;
    private String node;
    private transient Write<Boolean> written;

    public Hold() {}

    Hold(int attempt, String node) {
      this.attempt = attempt;
      this.node = node;
    }

    @Override
    public Boolean process(Map.Entry<String, String> stored) {
      if (stored.getValue() == null) {
        return false;
      }
      JsonObject entry = new JsonObject(stored.getValue());
      JobRecord job = JobEntry.job(entry);
      if (job.status().terminal() || job.attempt() != attempt) {
        return false;
      }
      written = new Write<>(heldBy(holder(attempt, node), entry).encode(), 0);
      written.process(stored);
      return true;
    }

    @Override
    public EntryProcessor<String, String, Boolean> getBackupProcessor() {
      return written;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeInt(attempt);
      out.writeString(node);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      attempt = in.readInt();
      node = in.readString();
    }
  }

  static JsonObject holder(int attempt, String node) {
    return new JsonObject().put("node", node).put("attempt", attempt);
  }

  /** The entry's fields after the holder, which comes first (see {@link #HOLDER}); null: no holder. */
  static JsonObject heldBy(JsonObject holder, JsonObject entry) {
    JsonObject held = new JsonObject();
    if (holder != null) {
      held.put(HOLDER, holder);
    }
    entry.forEach(field -> {
      if (!field.getKey().equals(HOLDER)) {
        held.put(field.getKey(), field.getValue());
      }
    });
    return held;
  }

  /** The changed job and log of a live job, after its holder and with its request. */
  private static JsonObject withLiveFields(JsonObject entry, JsonObject updated, JsonObject holder) {
    JsonObject live = heldBy(holder, updated);
    for (String field : List.of(REQUEST, REQUEST_APART)) {
      if (entry.containsKey(field)) {
        live.put(field, entry.getValue(field));
      }
    }
    return live;
  }

  /**
   * Live jobs (those with a holder) and their holders, as {@code id} and the holder's JSON on two
   * lines; an ended job is passed over after comparing its first characters.
   */
  public static final class LiveJobs implements Predicate<String, String>, DataSerializable {
    public LiveJobs() {}

    @Override
    public boolean apply(Map.Entry<String, String> entry) {
      return entry.getValue() != null && entry.getValue().startsWith(LIVE_PREFIX);
    }

    @Override
    public void writeData(ObjectDataOutput out) {}

    @Override
    public void readData(ObjectDataInput in) {}
  }

  /** See {@link LiveJobs}. */
  public static final class HolderOf implements Projection<Map.Entry<String, String>, String>, DataSerializable {
    public HolderOf() {}

    @Override
    public String transform(Map.Entry<String, String> entry) {
      return entry.getKey() + "\n" + new JsonObject(entry.getValue()).getJsonObject(HOLDER).encode();
    }

    @Override
    public void writeData(ObjectDataOutput out) {}

    @Override
    public void readData(ObjectDataInput in) {}
  }

  /** Stores a value decided elsewhere, with its retention time when it has one. */
  public static final class Write<R> implements EntryProcessor<String, String, R>, DataSerializable {
    private String value;
    private long ttlMillis;

    public Write() {}

    Write(String value, long ttlMillis) {
      this.value = value;
      this.ttlMillis = ttlMillis;
    }

    @Override
    public R process(Map.Entry<String, String> stored) {
      if (ttlMillis > 0) {
        ((ExtendedMapEntry<String, String>) stored).setValue(value, ttlMillis, TimeUnit.MILLISECONDS);
      } else {
        stored.setValue(value);
      }
      return null;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(value);
      out.writeLong(ttlMillis);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      value = in.readString();
      ttlMillis = in.readLong();
    }
  }

  private static String answer(Appended appended, boolean requestApart) {
    JsonObject answer = new JsonObject().put("job", appended.job().toStored()).put("events", JobEvent.toJson(appended.events()));
    return (requestApart ? answer.put(REQUEST_APART, true) : answer).encode();
  }

  static Appended appended(String answer) {
    return appended(new JsonObject(answer));
  }

  static Appended appended(JsonObject json) {
    return new Appended(JobRecord.fromStored(json.getJsonObject("job")), JobEvent.fromJson(json.getJsonArray("events")));
  }
}
