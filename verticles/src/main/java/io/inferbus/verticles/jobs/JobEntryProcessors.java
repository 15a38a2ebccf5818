package io.inferbus.verticles.jobs;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
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
  /** The entry's field holding a small result, written with the success. */
  static final String RESULT = "result";

  private JobEntryProcessors() {}

  /**
   * Stores a value only where the key has none (a new job) or only where it has one (a live job's
   * holder, which must not come back after the job's end); answers whether it did.
   */
  public static final class SetIf implements EntryProcessor<String, String, Boolean>, DataSerializable {
    private boolean present;
    private String value;

    public SetIf() {}

    private SetIf(boolean present, String value) {
      this.present = present;
      this.value = value;
    }

    static SetIf absent(String value) {
      return new SetIf(false, value);
    }

    static SetIf present(String value) {
      return new SetIf(true, value);
    }

    @Override
    public Boolean process(Map.Entry<String, String> stored) {
      if ((stored.getValue() != null) != present) {
        return false;
      }
      stored.setValue(value);
      return true;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeBoolean(present);
      out.writeString(value);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      present = in.readBoolean();
      value = in.readString();
    }
  }

  /**
   * Appends events by {@link JobEntry}'s rules (or hands the job out again), answers the
   * {@link Appended} as JSON, or null when refused. An ending change starts the entry's retention
   * time in the same write; a success may bring its small result along.
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
    /** What this run wrote, for the backups: they store it rather than decide again. */
    private transient Write written;

    public Change() {}

    static Change appending(String changeId, int attempt, List<Proposal> proposals, JsonObject result, long now, long retentionMillis) {
      Change change = new Change();
      change.changeId = changeId;
      change.attempt = attempt;
      JsonArray encoded = new JsonArray();
      proposals.forEach(p -> encoded.add(new JsonObject().put("type", p.type().wireName()).put("data", p.data())));
      change.proposals = encoded.encode();
      change.result = result == null ? null : result.encode();
      change.now = now;
      change.retentionMillis = retentionMillis;
      return change;
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
      if (stored.getValue() == null) {
        return null;
      }
      String id = stored.getKey();
      JsonObject entry = new JsonObject(stored.getValue());
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
      JsonObject updated = change.get().updated();
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
      written = new Write(updated.encode(), appended.job().status().terminal() ? retentionMillis : 0);
      written.process(stored);
      return answer(appended);
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
          return Optional.of(answer(new Appended(JobEntry.job(entry), events)));
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
        list.add(new Proposal(JobEventType.fromWireName(proposal.getString("type")), proposal.getJsonObject("data")));
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
    }
  }

  /** Stores a value decided elsewhere, with its retention time when it has one. */
  public static final class Write implements EntryProcessor<String, String, String>, DataSerializable {
    private String value;
    private long ttlMillis;

    public Write() {}

    Write(String value, long ttlMillis) {
      this.value = value;
      this.ttlMillis = ttlMillis;
    }

    @Override
    public String process(Map.Entry<String, String> stored) {
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

  private static String answer(Appended appended) {
    return new JsonObject().put("job", appended.job().toStored()).put("events", JobEvent.toJson(appended.events())).encode();
  }

  static Appended appended(String answer) {
    JsonObject json = new JsonObject(answer);
    return new Appended(JobRecord.fromStored(json.getJsonObject("job")), JobEvent.fromJson(json.getJsonArray("events")));
  }
}
