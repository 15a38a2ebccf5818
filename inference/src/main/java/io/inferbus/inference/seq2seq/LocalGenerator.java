package io.inferbus.inference.seq2seq;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The generation engine without a service around it: texts in, first come first served, through
 * the same lanes and continuous batching the workers use. For tests, benchmarks (the "raw engine")
 * and tools.
 */
public final class LocalGenerator implements AutoCloseable {
  /** One text's output. */
  public record Result(String text, int inputTokens, int generatedTokens, Sequence.Finish finish) {}

  /** What the lanes did since the generator started: turns, live sequences summed over turns, and turn time. */
  public record Turns(long turns, long liveSequences, long nanos) {
    public Turns since(Turns earlier) {
      return new Turns(turns - earlier.turns, liveSequences - earlier.liveSequences, nanos - earlier.nanos);
    }
  }

  private final Seq2SeqModel model;
  private final int pieceTokens;
  private final List<GenerationLane> lanes = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong turns = new AtomicLong();
  private final AtomicLong liveSequences = new AtomicLong();
  private final AtomicLong turnNanos = new AtomicLong();

  /** @param pieceTokens longest input piece, in the model's tokens (UTF-8 bytes for a byte vocabulary) */
  public LocalGenerator(Seq2SeqModel model, GenerationLane.Limits limits, int pieceTokens) {
    this.model = model;
    this.pieceTokens = pieceTokens;
    for (int lane = 0; lane < model.lanes(); lane++) {
      GenerationLane generation = new GenerationLane(model, lane, new Queue(), new Collector(), limits);
      lanes.add(generation);
      Thread thread = new Thread(generation, "generation-lane-" + lane);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  /** Generates each piece of the text and joins them; {@code onDelta} hears the text as it grows. */
  public CompletableFuture<Result> generate(String text, int maxNewTokens, Consumer<String> onDelta) {
    Job job = new Job(new TextAssembly(TextPieces.split(text, pieceTokens)), onDelta);
    List<Sequence> sequences = new ArrayList<>();
    for (int i = 0; i < job.assembly.size(); i++) {
      String piece = job.assembly.piece(i).text();
      if (piece.isEmpty()) {
        continue;
      }
      int[] input = model.codec().encode(piece);
      int limit = Math.min(model.maxNewTokens(), maxNewTokens > 0 ? maxNewTokens : defaultMaxNewTokens(input.length));
      sequences.add(new Sequence(ids.incrementAndGet(), new PieceOf(job, i), input, limit, new int[0], model.codec().newDecoder()));
      job.inputTokens += input.length;
      job.running++;
    }
    if (sequences.isEmpty()) {
      job.result.complete(new Result(text, 0, 0, Sequence.Finish.EOS));
      return job.result;
    }
    synchronized (waiting) {
      waiting.addAll(sequences);
    }
    lanes.forEach(GenerationLane::wake);
    return job.result;
  }

  public Turns turns() {
    return new Turns(turns.get(), liveSequences.get(), turnNanos.get());
  }

  /** The default output budget: two bytes per input byte (Cyrillic takes two where Latin took one) and a margin. */
  public static int defaultMaxNewTokens(int inputTokens) {
    return 2 * inputTokens + 8;
  }

  @Override
  public void close() {
    lanes.forEach(GenerationLane::stop);
    for (Thread thread : threads) {
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static final class Job {
    final TextAssembly assembly;
    final Consumer<String> onDelta;
    final CompletableFuture<Result> result = new CompletableFuture<>();
    int inputTokens;
    int generated;
    int running;
    Sequence.Finish finish = Sequence.Finish.EOS;

    Job(TextAssembly assembly, Consumer<String> onDelta) {
      this.assembly = assembly;
      this.onDelta = onDelta;
    }
  }

  private record PieceOf(Job job, int piece) {}

  private final class Queue implements GenerationLane.Source {
    @Override
    public List<Sequence> take(int maxSequences, int maxInputTokens) {
      List<Sequence> taken = new ArrayList<>();
      int tokens = 0;
      synchronized (waiting) {
        while (!waiting.isEmpty() && taken.size() < maxSequences) {
          Sequence next = waiting.peekFirst();
          if (!taken.isEmpty() && tokens + next.inputTokens() > maxInputTokens) {
            break;
          }
          tokens += next.inputTokens();
          taken.add(waiting.pollFirst());
        }
      }
      return taken;
    }

    @Override
    public int waiting() {
      synchronized (waiting) {
        return waiting.size();
      }
    }
  }

  private final class Collector implements GenerationLane.Listener {
    @Override
    public void onTurn(List<GenerationLane.Emission> emissions, GenerationLane.TurnStats stats) {
      turns.incrementAndGet();
      liveSequences.addAndGet(stats.live());
      turnNanos.addAndGet(stats.nanos());
      for (GenerationLane.Emission emission : emissions) {
        PieceOf of = (PieceOf) emission.sequence().owner();
        Job job = of.job();
        synchronized (job) {
          String news = job.assembly.append(of.piece(), emission.delta(), emission.finished());
          if (!news.isEmpty() && job.onDelta != null) {
            job.onDelta.accept(news);
          }
          if (emission.finished()) {
            job.generated += emission.sequence().generated();
            if (emission.sequence().finish == Sequence.Finish.LENGTH) {
              job.finish = Sequence.Finish.LENGTH;
            }
            if (--job.running == 0) {
              job.result.complete(new Result(job.assembly.text(), job.inputTokens, job.generated, job.finish));
            }
          }
        }
      }
    }

    @Override
    public void onFailure(List<Sequence> failed, Exception error) {
      for (Sequence sequence : failed) {
        ((PieceOf) sequence.owner()).job().result.completeExceptionally(error);
      }
    }
  }
}
