package io.inferbus.verticles.jobs;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ended jobs this node stored, oldest first, with their estimated heap size: a store held in
 * memory forgets the oldest before its retention time once they pass the budget, so a node under
 * sustained load keeps what fits instead of running out of memory (at 600 single-sentence jobs/s an
 * hour of results would be about 20 GB). Thread-safe: verticles on several event loops share it.
 */
final class RetainedJobs {
  /** Job record, events and map entries of one ended job, besides its result. */
  static final long BYTES_PER_JOB = 4096;

  record Ended(String id, int attempt, long bytes, long at) {}

  /** Jobs this count let go of: those past their retention time, and the oldest beyond the budget. */
  record Forgotten(List<Ended> expired, List<Ended> overBudget) {}

  private final long budgetBytes;
  private final long retentionMillis;
  private final ArrayDeque<Ended> oldestFirst = new ArrayDeque<>();
  private final Map<String, Long> resultBytes = new HashMap<>();
  private long retainedBytes;

  RetainedJobs(long budgetBytes, long retentionMillis) {
    this.budgetBytes = budgetBytes;
    this.retentionMillis = retentionMillis;
  }

  synchronized void resultStored(String id, int attempt, JsonObject result) {
    resultBytes.put(id + "#" + attempt, estimatedBytes(result));
  }

  /**
   * Counts an ended job (with its result, if this node stored one; results of its earlier attempts
   * are not kept in the count) and returns those to forget now, oldest first; the newest is always kept, so
   * a job's own result never disappears as it succeeds. Jobs past their retention time stop counting
   * (a store whose entries expire by themselves has dropped them by then).
   */
  synchronized Forgotten ended(String id, int attempt, long now) {
    List<Ended> expired = new ArrayList<>();
    while (!oldestFirst.isEmpty() && oldestFirst.peekFirst().at() + retentionMillis <= now) {
      Ended old = oldestFirst.removeFirst();
      retainedBytes -= old.bytes();
      expired.add(old);
    }
    Long result = resultBytes.remove(id + "#" + attempt);
    for (int earlier = 1; earlier < attempt; earlier++) {
      resultBytes.remove(id + "#" + earlier);
    }
    Ended job = new Ended(id, attempt, BYTES_PER_JOB + (result == null ? 0 : result), now);
    oldestFirst.addLast(job);
    retainedBytes += job.bytes();
    List<Ended> forget = new ArrayList<>();
    while (retainedBytes > budgetBytes && oldestFirst.size() > 1) {
      Ended oldest = oldestFirst.removeFirst();
      retainedBytes -= oldest.bytes();
      forget.add(oldest);
    }
    return new Forgotten(expired, forget);
  }

  /**
   * Boxed numbers and strings as a JVM holds them in Vert.x JSON, about 20 bytes a number. An array
   * is taken as its size times its first element (rows of one result are alike), so estimating a
   * 10,000-vector result on the event loop looks at one vector, not 3.8 million numbers.
   */
  static long estimatedBytes(Object json) {
    if (json instanceof JsonObject object) {
      long bytes = 64;
      for (Map.Entry<String, Object> entry : object) {
        bytes += 48 + 2L * entry.getKey().length() + estimatedBytes(entry.getValue());
      }
      return bytes;
    }
    if (json instanceof JsonArray array) {
      return 40 + (array.isEmpty() ? 0 : array.size() * (4 + estimatedBytes(array.getValue(0))));
    }
    if (json instanceof String text) {
      return 40 + text.length();
    }
    return 16;
  }
}
