package io.inferbus.inference.seq2seq;

/** How a sequence model's tokens map to text: encoding inputs, and decoding outputs as they grow. */
public interface TokenCodec extends AutoCloseable {

  int[] encode(String text);

  /** A decoder for one output sequence, fed one token at a time. */
  TextDecoder newDecoder();

  /** Tokens that reproduce a text as output (to replay what a sequence already wrote). */
  int[] outputTokens(String text);

  @Override
  default void close() {}

  /** Turns tokens into text as they arrive, never returning part of a character. */
  interface TextDecoder {
    /** The text that this token completes; empty while a character is still incomplete. */
    String push(int token);

    /** What is left when the sequence ends (an incomplete character becomes U+FFFD). */
    String finish();
  }
}
