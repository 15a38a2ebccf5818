package io.inferbus.inference;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Jobs waiting for the same model, handed out in slices of their items.
 *
 * <p>Order: each job gets a virtual time, its submission time plus one aging step per level below
 * {@code critical}; the earliest virtual time goes first. Within one aging step priorities are
 * strict; beyond it an older job goes ahead of newer more urgent ones, so nothing starves and no job
 * waits more than three steps behind newer higher-priority work. A job dispatched again after a
 * failure keeps its submission time, and so its place.
 *
 * <p>A job stays at the head until every one of its items has been handed out, so its slices can
 * run on several sessions at once. Not thread-safe: the owner calls it from one thread.
 */
public final class JobQueue<T> {
  public record Slice<T>(String jobId, T job, int from, int to, boolean first) {
    public int size() {
      return to - from;
    }
  }

  /** The cost of one item of a job against a batch's budget (e.g. its estimated tokens). */
  public interface ItemCost<T> {
    int of(T job, int index);
  }

  private static final class Pending<T> {
    final String jobId;
    final Priority priority;
    final long virtualTime;
    final long arrival;
    final T job;
    final int items;
    int cursor;

    Pending(String jobId, Priority priority, long virtualTime, long arrival, T job, int items) {
      this.jobId = jobId;
      this.priority = priority;
      this.virtualTime = virtualTime;
      this.arrival = arrival;
      this.job = job;
      this.items = items;
    }
  }

  private final long agingStepMillis;
  private final TreeSet<Pending<T>> order = new TreeSet<>(
      Comparator.<Pending<T>>comparingLong(p -> p.virtualTime).thenComparingLong(p -> p.arrival));
  private final Map<String, Pending<T>> byId = new HashMap<>();
  private final int[] waitingPerLevel = new int[Priority.values().length];
  private long arrivals;
  private int itemsWaiting;

  /** @param agingBound how long a job may wait at most behind newer higher-priority work */
  public JobQueue(Duration agingBound) {
    this.agingStepMillis = agingBound.toMillis() / (Priority.values().length - 1);
  }

  /** Adding a job id that is already waiting has no effect. */
  public void add(String jobId, Priority priority, long submittedAt, T job, int items) {
    if (items < 1) {
      throw new IllegalArgumentException("a job has at least one item");
    }
    if (byId.containsKey(jobId)) {
      return;
    }
    long virtualTime = submittedAt + priority.ordinal() * agingStepMillis;
    Pending<T> pending = new Pending<>(jobId, priority, virtualTime, arrivals++, job, items);
    order.add(pending);
    byId.put(jobId, pending);
    waitingPerLevel[priority.ordinal()]++;
    itemsWaiting += items;
  }

  /** The priority of the first job. */
  public Optional<Priority> peekPriority() {
    return order.isEmpty() ? Optional.empty() : Optional.of(order.first().priority);
  }

  /** The first job, left in place. */
  public Optional<T> peek() {
    return order.isEmpty() ? Optional.empty() : Optional.of(order.first().job);
  }

  /** The next slice of at most {@code maxItems} items of the first job. */
  public Optional<Slice<T>> next(int maxItems) {
    return order.isEmpty() ? Optional.empty() : Optional.of(take(order.first(), maxItems));
  }

  /**
   * A batch across jobs: items from the first job, then the next, while the batch holds fewer than
   * {@code maxItems} items and their cost stays within {@code maxCost} (one item is always taken).
   */
  public List<Slice<T>> nextBatch(int maxItems, int maxCost, ItemCost<T> cost) {
    List<Slice<T>> batch = new ArrayList<>();
    int items = 0;
    int spent = 0;
    while (items < maxItems && !order.isEmpty()) {
      Pending<T> head = order.first();
      int count = 0;
      while (items + count < maxItems && head.cursor + count < head.items) {
        int c = cost.of(head.job, head.cursor + count);
        if (items + count > 0 && spent + c > maxCost) {
          break;
        }
        spent += c;
        count++;
      }
      if (count == 0) {
        break;
      }
      batch.add(take(head, count));
      items += count;
    }
    return batch;
  }

  private Slice<T> take(Pending<T> head, int maxItems) {
    int from = head.cursor;
    int to = Math.min(head.items, from + maxItems);
    head.cursor = to;
    itemsWaiting -= to - from;
    if (to == head.items) {
      forget(head);
    }
    return new Slice<>(head.jobId, head.job, from, to, from == 0);
  }

  /** Removes a job's items not handed out yet; true when the job was still waiting. */
  public boolean remove(String jobId) {
    Pending<T> pending = byId.get(jobId);
    if (pending == null) {
      return false;
    }
    forget(pending);
    return true;
  }

  private void forget(Pending<T> pending) {
    itemsWaiting -= pending.items - pending.cursor;
    order.remove(pending);
    byId.remove(pending.jobId);
    waitingPerLevel[pending.priority.ordinal()]--;
  }

  public boolean contains(String jobId) {
    return byId.containsKey(jobId);
  }

  /** Waiting job ids, first to last. */
  public List<String> ids() {
    return order.stream().map(p -> p.jobId).toList();
  }

  public int waiting(Priority priority) {
    return waitingPerLevel[priority.ordinal()];
  }

  /** Items of all waiting jobs not handed out yet. */
  public int itemsWaiting() {
    return itemsWaiting;
  }

  public int size() {
    return order.size();
  }

  public boolean isEmpty() {
    return order.isEmpty();
  }
}
