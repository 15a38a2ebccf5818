package io.inferbus.inference.seq2seq;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Continuous batching on one encoder/decoder session pair. Each turn of the lane's thread: sequences
 * that were prefilled (encoded and given their first token together) join, then one decoder step
 * runs for every live sequence of every job at once, in batches of similar age; ended and cancelled
 * sequences leave at once. The listener hears every turn's new text in one call. While the lane
 * decodes, a second thread prefills the sequences that wait, so the encoder runs beside the steps
 * instead of between them; an idle lane prefills on its own thread. Room that opens while a group is
 * being prefilled is handed out at once: the next group queues behind it instead of waiting for it to join.
 *
 * <p>Greedy: each sequence takes its most likely token, except while it replays tokens it already
 * wrote under a lost worker. It ends at eos or at its token limit.
 */
public final class GenerationLane implements Runnable {
  /**
   * Sequences that join merge into the youngest batch while its caches are at most this long; older
   * batches run apart. Merging pads the newcomers' caches up to the batch's length, and every step
   * reads that padding (a decoder in Optimum's form copies it too, writing each step's caches anew):
   * batches of similar age keep that waste small, at the cost of one decoder run per batch (measured
   * on 2 cores, 32 clients, with the grown-cache decoder: 12 columns gave 15.1k tokens/s, one batch
   * for all 12.9k, 6 columns 9.9k; with our appending decoder 12 columns and one batch for all ran
   * alike, 17 and 60 rows a step at 55-60 us a row).
   */
  static final int MERGE_WITHIN_COLUMNS = 12;

  /** Where sequences wait to join; called on the lane's thread, so it must be thread-safe. */
  public interface Source {
    /** Up to {@code maxSequences} sequences within {@code maxInputTokens} (at least one, if any waits), most urgent first. */
    List<Sequence> take(int maxSequences, int maxInputTokens);

    int waiting();
  }

  /** @param delta text that is new for the sequence (whole characters only); finished: it ended with this */
  public record Emission(Sequence sequence, String delta, boolean finished) {}

  /** @param rows decoder rows run (dead ones included); tokens: tokens written this turn */
  public record TurnStats(int rows, int live, int tokens, int admitted, long nanos) {}

  public interface Listener {
    void onTurn(List<Emission> emissions, TurnStats stats);

    /** The model failed on these sequences; they are out of the lane. */
    void onFailure(List<Sequence> failed, Exception error);
  }

  /**
   * @param maxActive sequences decoded at once on this lane
   * @param maxPrefillTokens input tokens encoded in one turn (bounds a turn's latency for everyone else)
   */
  public record Limits(int maxActive, int maxPrefillTokens) {}

  private final Seq2SeqModel model;
  private final int lane;
  private final Source source;
  private final Listener listener;
  private final Limits limits;
  private final List<DecodeBatch> batches = new ArrayList<>();
  private final BufferPool buffers = new BufferPool();
  private final Signal laneSignal = new Signal();
  private final Signal prefillSignal = new Signal();
  /** Groups of sequences the lane took for the prefill thread, in the order taken. */
  private final Queue<List<Sequence>> toPrefill = new ConcurrentLinkedQueue<>();
  /** What the prefill thread made of them, for the lane to take in. */
  private final Queue<Prefilled> prefilled = new ConcurrentLinkedQueue<>();
  /** Sequences handed to the prefill thread and not yet in the lane's batches. */
  private int joining;
  private volatile boolean stopped;
  private volatile int active;

  public GenerationLane(Seq2SeqModel model, int lane, Source source, Listener listener, Limits limits) {
    this.model = model;
    this.lane = lane;
    this.source = source;
    this.listener = listener;
    this.limits = limits;
  }

  /** New sequences are waiting at the source. */
  public void wake() {
    laneSignal.raise();
  }

  /** Ends the loop after the current turn; sequences still running are simply left (the owner hands their jobs back). */
  public void stop() {
    stopped = true;
    wake();
  }

  @Override
  public void run() {
    Thread prefiller = new Thread(this::prefillWhileDecoding, Thread.currentThread().getName() + "-prefill");
    prefiller.setDaemon(true);
    prefiller.start();
    try {
      while (!stopped) {
        if (!turn()) {
          laneSignal.await();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      stopped = true;
      prefillSignal.raise();
      awaitEnd(prefiller);
    }
  }

  /** The owner closes the sessions once this thread has ended: no prefill may still be running then. */
  private static void awaitEnd(Thread prefiller) {
    boolean interrupted = false;
    while (prefiller.isAlive()) {
      try {
        prefiller.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** One turn; false when there was nothing to do. */
  boolean turn() {
    long began = System.nanoTime();
    List<Emission> out = new ArrayList<>();
    int admitted = joinPrefilled(out) + admit(out);
    int rows = 0;
    int tokens = out.size();
    for (DecodeBatch batch : List.copyOf(batches)) {
      if (batch.live() == 0) {
        continue;
      }
      rows += batch.rows().size();
      try {
        int[] next = batch.step();
        tokens += choose(batch.rows(), next, out);
      } catch (Exception e) {
        batches.remove(batch);
        batch.release();
        listener.onFailure(batch.rows().stream().filter(Sequence::live).toList(), e);
      }
    }
    tidy();
    int live = live();
    active = live + joining;
    if (!out.isEmpty() || admitted > 0) {
      listener.onTurn(out, new TurnStats(rows, live, tokens, admitted, System.nanoTime() - began));
    }
    return live > 0 || admitted > 0 || !prefilled.isEmpty() || (source.waiting() > 0 && live + joining < limits.maxActive());
  }

  /**
   * Sequences that wait join as soon as there is room. An idle lane prefills them itself, at once:
   * nothing runs that the encoder could overlap, and a hand-over would only add to the first token's
   * time. A lane that decodes (or waits for a prefill) hands them to its prefill thread and takes them
   * in at a later turn; room that opens meanwhile is filled by a group queued behind, not after that
   * group joined (while one group was prefilled, a busy service's lane fell from 64 sequences to 21-29
   * with 21 waiting). Returns how many joined now.
   */
  private int admit(List<Emission> out) {
    int live = live();
    int room = limits.maxActive() - live - joining;
    if (room <= 0 || source.waiting() == 0) {
      return 0;
    }
    List<Sequence> fresh = source.take(room, limits.maxPrefillTokens());
    if (fresh.isEmpty()) {
      return 0;
    }
    if (live == 0 && joining == 0) {
      return join(prefill(fresh), out);
    }
    joining += fresh.size();
    toPrefill.add(fresh);
    prefillSignal.raise();
    return 0;
  }

  /**
   * The prefill thread: while the lane decodes, joining sequences are encoded and given their first
   * token here, on the other core, instead of holding up every live sequence's steps (the encoder
   * took 30 % of a busy lane's time).
   */
  private void prefillWhileDecoding() {
    try {
      while (!stopped) {
        List<Sequence> fresh = nextPrefillGroup();
        if (fresh.isEmpty()) {
          prefillSignal.await();
          continue;
        }
        prefilled.add(prefill(fresh));
        laneSignal.raise();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The groups queued for prefill as one, up to the turn's input-token bound: one encoder run instead of several small ones. */
  List<Sequence> nextPrefillGroup() {
    List<Sequence> group = new ArrayList<>();
    int tokens = 0;
    for (List<Sequence> next = toPrefill.peek(); next != null; next = toPrefill.peek()) {
      int more = next.stream().mapToInt(Sequence::inputTokens).sum();
      if (!group.isEmpty() && tokens + more > limits.maxPrefillTokens()) {
        break;
      }
      group.addAll(toPrefill.poll());
      tokens += more;
    }
    return group;
  }

  /** A wake-up that is kept when it comes before the wait. */
  private static final class Signal {
    private boolean raised;

    synchronized void raise() {
      raised = true;
      notifyAll();
    }

    /** Waits until raised (at most 50 ms, a safety net), unless it was raised since the last wait. */
    synchronized void await() throws InterruptedException {
      if (!raised) {
        wait(50);
      }
      raised = false;
    }
  }

  /** Sequences encoded with their first token, as one batch; or why the model failed on them. */
  private record Prefilled(List<Sequence> fresh, DecodeBatch batch, int[] first, Exception failure) {}

  private Prefilled prefill(List<Sequence> fresh) {
    try {
      int[] first = new int[fresh.size()];
      return new Prefilled(fresh, DecodeBatch.prefill(model, lane, buffers, fresh, limits.maxActive(), first), first, null);
    } catch (Exception e) {
      return new Prefilled(fresh, null, null, e);
    }
  }

  private int joinPrefilled(List<Emission> out) {
    int admitted = 0;
    for (Prefilled ready = prefilled.poll(); ready != null; ready = prefilled.poll()) {
      joining -= ready.fresh().size();
      admitted += join(ready, out);
    }
    return admitted;
  }

  /** The prefilled sequences' first tokens, and their batch merged into the youngest or running apart. */
  private int join(Prefilled ready, List<Emission> out) {
    if (ready.failure() != null) {
      listener.onFailure(ready.fresh(), ready.failure());
      return ready.fresh().size();
    }
    choose(ready.fresh(), ready.first(), out);
    DecodeBatch youngest = batches.isEmpty() ? null : batches.get(batches.size() - 1);
    if (model.mixesLengths() && youngest != null && youngest.columns() <= MERGE_WITHIN_COLUMNS) {
      youngest.absorb(ready.batch());
    } else {
      batches.add(ready.batch());
    }
    return ready.fresh().size();
  }

  /** Applies each live row's next token; returns how many tokens were written. */
  private int choose(List<Sequence> rows, int[] tokens, List<Emission> out) {
    int written = 0;
    for (int i = 0; i < rows.size(); i++) {
      Sequence row = rows.get(i);
      if (!row.live()) {
        continue;
      }
      boolean replaying = row.generated < row.replay.length;
      int token = replaying ? row.replay[row.generated] : tokens[i];
      if (!replaying && token == model.eosToken) {
        row.done = true;
        row.finish = Sequence.Finish.EOS;
        out.add(new Emission(row, row.text.finish(), true));
        continue;
      }
      String delta = row.text.push(token);
      row.generated++;
      row.nextInput = token;
      written++;
      if (row.generated >= row.maxNewTokens) {
        row.done = true;
        row.finish = Sequence.Finish.LENGTH;
        out.add(new Emission(row, delta + row.text.finish(), true));
      } else if (!delta.isEmpty()) {
        out.add(new Emission(row, delta, false));
      }
    }
    return written;
  }

  /** Drops batches with nobody left, and ended sequences from the others (each costs a row copy at most). */
  private void tidy() {
    batches.removeIf(batch -> {
      if (batch.live() == 0) {
        batch.release();
        return true;
      }
      return false;
    });
    for (DecodeBatch batch : batches) {
      if (batch.live() < batch.rows().size()) {
        batch.removeEnded();
      }
    }
  }

  /** Sequences decoding or being prefilled on this lane as of its last turn; any thread may ask. */
  public int active() {
    return active;
  }

  private int live() {
    int live = 0;
    for (DecodeBatch batch : batches) {
      live += batch.live();
    }
    return live;
  }
}
