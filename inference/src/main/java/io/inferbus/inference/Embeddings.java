package io.inferbus.inference;

import java.util.Arrays;

/** One unit-norm vector per input text, and the word pieces the model read for each. */
public record Embeddings(float[][] vectors, int[] tokensPerText) {
  public int tokens() {
    return Arrays.stream(tokensPerText).sum();
  }
}
