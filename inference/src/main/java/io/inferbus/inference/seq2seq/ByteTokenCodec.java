package io.inferbus.inference.seq2seq;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * ByT5's vocabulary: token = UTF-8 byte + 3; 0 pad, 1 eos, 2 unk. Output bytes are decoded as they
 * come, a character at a time: a delta never ends in half a character.
 */
public final class ByteTokenCodec implements TokenCodec {
  static final int OFFSET = 3;

  private final int eos;
  private final boolean encoderEos;

  /** @param encoderEos whether inputs end with eos, as T5's tokenizer writes them */
  public ByteTokenCodec(int eos, boolean encoderEos) {
    this.eos = eos;
    this.encoderEos = encoderEos;
  }

  @Override
  public int[] encode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[bytes.length + (encoderEos ? 1 : 0)];
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = (bytes[i] & 0xff) + OFFSET;
    }
    if (encoderEos) {
      ids[bytes.length] = eos;
    }
    return ids;
  }

  @Override
  public int[] outputTokens(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = (bytes[i] & 0xff) + OFFSET;
    }
    return ids;
  }

  @Override
  public TextDecoder newDecoder() {
    return new Utf8Decoder();
  }

  private static final class Utf8Decoder implements TextDecoder {
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE)
        .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final ByteBuffer pending = ByteBuffer.allocate(16);
    private final CharBuffer out = CharBuffer.allocate(16);

    @Override
    public String push(int token) {
      if (token < OFFSET || token > 255 + OFFSET) {
        return "";
      }
      pending.put((byte) (token - OFFSET));
      return drain(false);
    }

    @Override
    public String finish() {
      return drain(true);
    }

    private String drain(boolean end) {
      pending.flip();
      out.clear();
      utf8.decode(pending, out, end);
      if (end) {
        utf8.flush(out);
      }
      pending.compact();
      out.flip();
      return out.toString();
    }
  }
}
