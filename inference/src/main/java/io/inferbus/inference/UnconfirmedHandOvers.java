package io.inferbus.inference;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Jobs a dispatcher handed to a worker on another node that the store does not name as their
 * holder yet: the worker becomes the holder with its first write (its start), so until the
 * dispatcher hears of that write, or of the job moving on, only the dispatcher knows where the job
 * is. Should that worker's node leave first, the dispatcher takes these jobs back itself; once the
 * write is heard, recovery finds the job by its holder as any other.
 *
 * <p>Pure: no I/O and no timers. Thread-safe.
 */
public final class UnconfirmedHandOvers {
  /** A job to take back: {@code attempt} was handed to a node that left; the worker expires it if still waiting at {@code deadline}. */
  public record HandOver(String jobId, int attempt, String node, long deadline) {}

  private record Entry(int attempt, String node, long deadline) {}

  private final Map<String, Entry> entries = new HashMap<>();
  private final long marginMillis;

  /** @param marginMillis how long past a job's deadline its entry is kept, for a worker that expires it late */
  public UnconfirmedHandOvers(long marginMillis) {
    this.marginMillis = marginMillis;
  }

  /**
   * {@code attempt} of the job goes to the worker on {@code node}, which expires it itself if still
   * waiting at {@code deadline}. Noted before it is sent, so no news of the job can come first.
   */
  public synchronized void taken(String jobId, int attempt, String node, long deadline) {
    entries.put(jobId, new Entry(attempt, node, deadline));
  }

  /** The worker did not take {@code attempt} (it was full, or unreachable before it could have). */
  public synchronized void withdrawn(String jobId, int attempt) {
    Entry entry = entries.get(jobId);
    if (entry != null && entry.attempt() == attempt) {
      entries.remove(jobId);
    }
  }

  /**
   * The store has moved the job past {@code attempt}'s hand-over: that attempt's start was written
   * (its worker is the holder), or the job went back to a queue under a later attempt.
   */
  public synchronized void settled(String jobId, int attempt) {
    Entry entry = entries.get(jobId);
    if (entry != null && entry.attempt() <= attempt) {
      entries.remove(jobId);
    }
  }

  /** The job ended. */
  public synchronized void ended(String jobId) {
    entries.remove(jobId);
  }

  /** The hand-overs to nodes that {@code gone} accepts, which this dispatcher no longer tracks. */
  public synchronized List<HandOver> takeBackFrom(Predicate<String> gone) {
    List<HandOver> lost = new ArrayList<>();
    for (Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Entry> e = it.next();
      if (gone.test(e.getValue().node())) {
        lost.add(new HandOver(e.getKey(), e.getValue().attempt(), e.getValue().node(), e.getValue().deadline()));
        it.remove();
      }
    }
    return lost;
  }

  /** Forgets hand-overs long past their job's deadline (news of them was lost): their workers expired them. */
  public synchronized void forgetOlderThan(long now) {
    entries.values().removeIf(entry -> entry.deadline() + marginMillis < now);
  }

  public synchronized int size() {
    return entries.size();
  }
}
