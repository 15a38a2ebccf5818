package io.inferbus.inference.seq2seq;

import java.util.Locale;

/**
 * One input piece being generated: its encoded input, the tokens written so far, and why it ended.
 * Owned by the lane that runs it once admitted; {@link #owner} is whatever the caller attached.
 */
public final class Sequence {
  public enum Finish {
    EOS, LENGTH;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  final long id;
  final Object owner;
  final int[] input;
  final int maxNewTokens;
  /** Output tokens to write before generating: a piece replayed after its worker was lost. */
  final int[] replay;
  final TokenCodec.TextDecoder text;
  int generated;
  int nextInput;
  /** Self-attention cache entries of this sequence (the start token and every token fed since). */
  int history;
  volatile boolean cancelled;
  boolean done;
  Finish finish;

  public Sequence(long id, Object owner, int[] input, int maxNewTokens, int[] replay, TokenCodec.TextDecoder text) {
    this.id = id;
    this.owner = owner;
    this.input = input;
    this.maxNewTokens = maxNewTokens;
    this.replay = replay;
    this.text = text;
  }

  public long id() {
    return id;
  }

  public Object owner() {
    return owner;
  }

  public int inputTokens() {
    return input.length;
  }

  public int generated() {
    return generated;
  }

  /** Why it ended: eos, or its token limit; null while it runs. */
  public Finish finishReason() {
    return finish;
  }

  /** Stops the sequence at the lane's next step. */
  public void cancel() {
    cancelled = true;
  }

  boolean live() {
    return !done && !cancelled;
  }
}
