package io.inferbus.inference;

/** One model input: word-piece ids with [CLS] and [SEP] around them. */
public record TokenWindow(long[] ids) {
  public int length() {
    return ids.length;
  }
}
