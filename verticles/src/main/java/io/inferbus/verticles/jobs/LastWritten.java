package io.inferbus.verticles.jobs;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The entry of each live job as this node last wrote it: the expected value of its next
 * compare-and-set, so a store that compares before it writes can skip reading it (a job's holder
 * is usually its only writer). Bounded: past {@link #LIMIT} jobs it forgets them all, and they are
 * read again.
 *
 * @param <E> the entry as the store compares it
 */
final class LastWritten<E> {
  private static final int LIMIT = 4096;
  private final Map<String, E> entries = new ConcurrentHashMap<>();

  /** Null when this node has no view of the job's entry. */
  E get(String id) {
    return entries.get(id);
  }

  void remember(String id, E entry) {
    if (entries.size() >= LIMIT) {
      entries.clear();
    }
    entries.put(id, entry);
  }

  /** Drops {@code stale}, unless a newer view replaced it meanwhile. */
  void forget(String id, E stale) {
    entries.remove(id, stale);
  }

  /** The job ended: its entry never changes again. */
  void forget(String id) {
    entries.remove(id);
  }
}
