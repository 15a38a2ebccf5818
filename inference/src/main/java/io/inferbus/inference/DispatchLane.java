package io.inferbus.inference;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One model's jobs waiting at a dispatcher for a worker, and what the workers last said of their
 * room (credits): decides which job goes to which worker. Jobs leave in the {@link JobQueue}'s
 * order, each to the worker with the most free slots; a job more urgent than one a full worker
 * holds waiting goes to that worker, where it overtakes. A credit not renewed within its lifetime
 * is forgotten, so a worker that went silent gets nothing more.
 *
 * <p>Pure: no I/O and no timers; the owner sends what it decides. Not thread-safe.
 */
public final class DispatchLane<T> {
  /** A job to send to {@code node}. */
  public record HandOver<T>(String jobId, T job, String node) {}

  /** A waiting job's new place in line; {@code estimatedWaitMs} is -1 while the hand-over rate is unknown. */
  public record Position(String jobId, int position, long estimatedWaitMs) {}

  /**
   * @param leastUrgent rank of the least urgent job the worker holds waiting; -1 when none
   * @param seq the worker's announcement number: an older one arriving late is ignored
   */
  private record Credit(int free, int leastUrgent, long seq, long expiresAt) {}

  private final JobQueue<T> queue;
  private final Clock clock;
  private final long creditLifetimeMillis;
  private final Map<String, Credit> credits = new HashMap<>();
  private final Map<String, Integer> announcedPositions = new HashMap<>();
  private int handedOverSinceTick;
  private double handOversPerSecond;

  public DispatchLane(Duration agingBound, Duration creditLifetime, Clock clock) {
    this.queue = new JobQueue<>(agingBound);
    this.creditLifetimeMillis = creditLifetime.toMillis();
    this.clock = clock;
  }

  public void add(String jobId, Priority priority, long submittedAt, T job) {
    queue.add(jobId, priority, submittedAt, job, 1);
  }

  /** False when the job was not waiting here. */
  public boolean remove(String jobId) {
    announcedPositions.remove(jobId);
    return queue.remove(jobId);
  }

  public int waiting(Priority priority) {
    return queue.waiting(priority);
  }

  /** A worker's room: from its announcements and from its answers to hand-overs. */
  public void credit(String node, int free, int leastUrgent, long seq) {
    Credit known = credits.get(node);
    if (known == null || seq > known.seq()) {
      credits.put(node, new Credit(free, leastUrgent, seq, clock.millis() + creditLifetimeMillis));
    }
  }

  /** A worker that did not take what it was sent: nothing more goes to it until it speaks again. */
  public void forgetWorker(String node) {
    credits.remove(node);
  }

  /** The jobs that leave now, and where to; each is no longer waiting here. */
  public List<HandOver<T>> handOvers() {
    long now = clock.millis();
    credits.values().removeIf(credit -> credit.expiresAt() < now);
    List<HandOver<T>> sent = new ArrayList<>();
    while (!queue.isEmpty()) {
      int rank = queue.peekPriority().orElseThrow().ordinal();
      Map.Entry<String, Credit> target = credits.entrySet().stream()
          .filter(e -> e.getValue().free() > 0 || rank < e.getValue().leastUrgent())
          .max(Map.Entry.comparingByValue(Comparator.comparingInt(Credit::free)))
          .orElse(null);
      if (target == null) {
        break;
      }
      Credit credit = target.getValue();
      credits.put(target.getKey(), credit.free() > 0
          ? new Credit(credit.free() - 1, credit.leastUrgent(), credit.seq(), credit.expiresAt())
          : new Credit(0, rank, credit.seq(), credit.expiresAt()));
      JobQueue.Slice<T> next = queue.next(1).orElseThrow();
      announcedPositions.remove(next.jobId());
      handedOverSinceTick++;
      sent.add(new HandOver<>(next.jobId(), next.job(), target.getKey()));
    }
    return sent;
  }

  /**
   * A failed hand-over counts against the model's breaker only when no other worker has room: one
   * lost worker must not turn clients away while another serves the model.
   */
  public boolean anotherWorkerHasRoom(String node) {
    long now = clock.millis();
    return credits.entrySet().stream()
        .anyMatch(e -> !e.getKey().equals(node) && e.getValue().free() > 0 && e.getValue().expiresAt() >= now);
  }

  /**
   * Called once per {@code tick}: the waiting jobs whose place changed since the last call, with an
   * estimated wait from the recent hand-over rate (smoothed over ticks).
   */
  public List<Position> positionsChanged(Duration tick) {
    double tickSeconds = tick.toMillis() / 1000.0;
    handOversPerSecond = 0.7 * handOversPerSecond + 0.3 * (handedOverSinceTick / tickSeconds);
    handedOverSinceTick = 0;
    List<Position> changed = new ArrayList<>();
    List<String> ids = queue.ids();
    for (int position = 0; position < ids.size(); position++) {
      String id = ids.get(position);
      Integer before = announcedPositions.put(id, position);
      if (before == null || before != position) {
        long wait = handOversPerSecond > 0.01 ? Math.round((position + 1) / handOversPerSecond * 1000) : -1;
        changed.add(new Position(id, position, wait));
      }
    }
    return changed;
  }
}
