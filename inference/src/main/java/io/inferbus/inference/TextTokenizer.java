package io.inferbus.inference;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a text into model windows of at most {@code maxTokens} word pieces.
 *
 * <p>The whole text is encoded once without truncation; a text longer than one window is cut
 * between words (where whitespace separates two tokens), so no word is split across windows.
 */
public final class TextTokenizer implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final int maxTokens;
  private final long clsId;
  private final long sepId;

  private TextTokenizer(HuggingFaceTokenizer tokenizer, int maxTokens) {
    this.tokenizer = tokenizer;
    this.maxTokens = maxTokens;
    long[] marker = tokenizer.encode("", true, false).getIds();
    this.clsId = marker[0];
    this.sepId = marker[marker.length - 1];
  }

  public static TextTokenizer load(String location, int maxTokens) throws IOException {
    disableDjlNetworkAccess();
    // The packaged tokenizer.json hard-codes truncation and padding at 128: we window and pad ourselves.
    Map<String, String> options = Map.of("truncation", "false", "padding", "false", "maxLength", String.valueOf(maxTokens));
    try (InputStream in = ModelResources.open(location)) {
      return new TextTokenizer(HuggingFaceTokenizer.newInstance(in, options), maxTokens);
    }
  }

  /** DJL would otherwise probe a cloud metadata address at start-up; the service runs offline. */
  private static void disableDjlNetworkAccess() {
    if (System.getProperty("OPT_OUT_TRACKING") == null) {
      System.setProperty("OPT_OUT_TRACKING", "true");
    }
    if (System.getProperty("offline") == null) {
      System.setProperty("offline", "true");
    }
  }

  public int maxTokens() {
    return maxTokens;
  }

  public List<TokenWindow> windows(String text) {
    Encoding encoding = tokenizer.encode(text, false, false);
    long[] ids = encoding.getIds();
    CharSpan[] spans = encoding.getCharTokenSpans();
    int budget = maxTokens - 2;
    List<TokenWindow> windows = new ArrayList<>();
    int start = 0;
    while (start < ids.length || windows.isEmpty()) {
      int end = ids.length - start <= budget ? ids.length : cutPoint(spans, start, start + budget);
      windows.add(wrap(ids, start, end));
      start = end;
    }
    return windows;
  }

  /** The last word boundary in (start, limit], or limit when one word fills the whole window. */
  private static int cutPoint(CharSpan[] spans, int start, int limit) {
    for (int i = limit; i > start; i--) {
      if (spans[i] != null && spans[i - 1] != null && spans[i].getStart() > spans[i - 1].getEnd()) {
        return i;
      }
    }
    return limit;
  }

  private TokenWindow wrap(long[] ids, int from, int to) {
    long[] window = new long[to - from + 2];
    window[0] = clsId;
    System.arraycopy(ids, from, window, 1, to - from);
    window[window.length - 1] = sepId;
    return new TokenWindow(window);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
