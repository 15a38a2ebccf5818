package io.inferbus.inference.seq2seq;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Map;

/**
 * A Hugging Face tokenizer.json (Marian, T5 and most other exports): inputs are encoded with the
 * tokenizer's own special tokens; outputs are decoded by decoding all tokens so far and passing on
 * what is new, holding back a trailing replacement character (a byte-fallback token that is only
 * part of a character).
 */
public final class HfTokenCodec implements TokenCodec {
  private final HuggingFaceTokenizer tokenizer;

  private HfTokenCodec(HuggingFaceTokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  static HfTokenCodec load(InputStream tokenizerJson) throws IOException {
    if (System.getProperty("offline") == null) {
      System.setProperty("offline", "true");
    }
    return new HfTokenCodec(HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of("truncation", "false", "padding", "false")));
  }

  @Override
  public int[] encode(String text) {
    return Arrays.stream(tokenizer.encode(text, true, false).getIds()).mapToInt(Math::toIntExact).toArray();
  }

  @Override
  public int[] outputTokens(String text) {
    return Arrays.stream(tokenizer.encode(text, false, false).getIds()).mapToInt(Math::toIntExact).toArray();
  }

  @Override
  public TextDecoder newDecoder() {
    return new TextDecoder() {
      private long[] ids = new long[16];
      private int count;
      private int emitted;

      @Override
      public String push(int token) {
        if (count == ids.length) {
          ids = Arrays.copyOf(ids, count * 2);
        }
        ids[count++] = token;
        String text = tokenizer.decode(Arrays.copyOf(ids, count), true);
        int visible = text.endsWith("\uFFFD") ? text.length() - 1 : text.length();
        if (visible <= emitted) {
          return "";
        }
        String delta = text.substring(emitted, visible);
        emitted = visible;
        return delta;
      }

      @Override
      public String finish() {
        String text = tokenizer.decode(Arrays.copyOf(ids, count), true);
        String rest = text.length() > emitted ? text.substring(emitted) : "";
        emitted = text.length();
        return rest;
      }
    };
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
