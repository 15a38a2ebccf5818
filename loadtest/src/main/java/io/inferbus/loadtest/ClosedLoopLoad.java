package io.inferbus.loadtest;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/** N clients, each sending its next request when the last one is answered, for a fixed time. */
final class ClosedLoopLoad {
  /** One request, sent and answered; {@code client} and {@code n} let a client pick what to send. */
  interface Request {
    void send(int client, long n) throws Exception;
  }

  record Figures(int requests, double seconds, double p50, double p95, double p99) {
    double perSecond() {
      return requests / seconds;
    }
  }

  private ClosedLoopLoad() {}

  /** For a fixed time. */
  static Figures run(int clients, int seconds, Request request) throws Exception {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    return drive(clients, (client, n) -> System.nanoTime() < end ? n : -1, request);
  }

  /** Requests 0 .. total-1, shared out among the clients in order. */
  static Figures runCount(int clients, long total, Request request) throws Exception {
    AtomicLong next = new AtomicLong();
    return drive(clients, (client, n) -> {
      long taken = next.getAndIncrement();
      return taken < total ? taken : -1;
    }, request);
  }

  /** Answers the number of a client's next request, or -1 when it should stop. */
  private interface Schedule {
    long next(int client, long sentByThisClient);
  }

  private static Figures drive(int clients, Schedule schedule, Request request) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(clients);
    List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
    long begin = System.nanoTime();
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      running.add(threads.submit(() -> {
        long sent = 0;
        for (long n = schedule.next(client, sent); n >= 0; n = schedule.next(client, ++sent)) {
          long at = System.nanoTime();
          request.send(client, n);
          latencies.add((System.nanoTime() - at) / 1e6);
        }
        return null;
      }));
    }
    try {
      for (Future<?> f : running) {
        f.get();
      }
    } finally {
      threads.shutdownNow();
    }
    double elapsed = (System.nanoTime() - begin) / 1e9;
    List<Double> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    return new Figures(sorted.size(), elapsed, at(sorted, 0.50), at(sorted, 0.95), at(sorted, 0.99));
  }

  /** The middle value; with an even count, the mean of the two middle ones (not the larger, which would flatter). */
  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  static double at(List<Double> sorted, double quantile) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(quantile * sorted.size()) - 1));
  }
}
