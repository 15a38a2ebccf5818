package io.inferbus.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EmbeddingPipelineTest {
  private static EmbeddingPipeline pipeline;
  private static TextTokenizer tokenizer;

  @BeforeAll
  static void load() throws Exception {
    ModelSpec spec = ModelSpec.allMiniLmL6V2();
    pipeline = EmbeddingPipeline.load(spec, new EngineOptions(2, 1, "cpu", 1));
    tokenizer = TextTokenizer.load(spec.tokenizerLocation(), spec.maxTokens());
  }

  @AfterAll
  static void close() {
    pipeline.close();
    tokenizer.close();
  }

  @Test
  void vectorsAre384DimensionalAndUnitNorm() throws Exception {
    Embeddings e = pipeline.embed(List.of("A man is eating food.", "Hello"));
    assertEquals(2, e.vectors().length);
    for (float[] v : e.vectors()) {
      assertEquals(384, v.length);
      assertEquals(1.0, norm(v), 1e-5);
    }
    assertTrue(e.tokens() > 4);
  }

  @Test
  void similarSentencesAreCloserThanUnrelatedOnes() throws Exception {
    float[][] v = pipeline.embed(List.of(
        "A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse.")).vectors();
    double bread = dot(v[0], v[1]);
    double horse = dot(v[0], v[2]);
    assertTrue(bread > horse, "bread " + bread + " should beat horse " + horse);
    assertTrue(bread > 0.6, "related sentences should be close, got " + bread);
  }

  @Test
  void longTextIsSplitOnWordBoundariesIntoWindowsOfAtMostMaxTokens() {
    String text = longText(2000, 7);
    List<TokenWindow> windows = tokenizer.windows(text);
    assertTrue(windows.size() >= 8, "2000 words need several 256-token windows, got " + windows.size());
    long total = 0;
    for (TokenWindow w : windows) {
      assertTrue(w.length() <= 256);
      assertEquals(101L, w.ids()[0]);
      assertEquals(102L, w.ids()[w.length() - 1]);
      total += w.length() - 2;
    }
    assertEquals(tokenizer.windows(text).size(), windows.size());
    assertTrue(total >= 2000);
  }

  @Test
  void longTextEmbeddingBlendsItsWindowsAndEqualsNoneAlone() throws Exception {
    String text = longText(2000, 11);
    String[] words = text.split(" ");
    String firstHalf = String.join(" ", List.of(words).subList(0, 150));
    String lastPart = String.join(" ", List.of(words).subList(words.length - 150, words.length));
    float[][] v = pipeline.embed(List.of(text, firstHalf, lastPart)).vectors();
    assertEquals(1.0, norm(v[0]), 1e-5);
    assertTrue(dot(v[0], v[1]) < 0.999, "the whole text must not equal its first window");
    assertTrue(dot(v[0], v[2]) < 0.999, "the whole text must not equal its last window");
    assertTrue(dot(v[0], v[1]) > 0.5, "but it stays close to its parts");
  }

  @Test
  void batchResultsEqualOneByOneResults() throws Exception {
    List<String> texts = new ArrayList<>();
    Random random = new Random(3);
    for (int i = 0; i < 24; i++) {
      texts.add(longText(3 + random.nextInt(40), i));
    }
    texts.add(longText(600, 99));
    float[][] batched = pipeline.embed(texts).vectors();
    for (int i = 0; i < texts.size(); i++) {
      float[] alone = pipeline.embed(List.of(texts.get(i))).vectors()[0];
      assertArrayEquals(alone, batched[i], "text " + i);
    }
  }

  @Test
  void aCancelledBatchStopsInsteadOfRunningToTheEnd() throws Exception {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      texts.add(longText(1500, 500 + i));
    }
    try (RunControl control = RunControl.create()) {
      java.util.concurrent.CompletableFuture<Embeddings> run =
          java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
              return pipeline.embed(texts, control);
            } catch (ai.onnxruntime.OrtException e) {
              throw new java.util.concurrent.CompletionException(e);
            }
          });
      control.cancel();
      java.util.concurrent.ExecutionException stopped =
          org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class, run::get);
      Throwable cause = stopped.getCause() instanceof java.util.concurrent.CompletionException c ? c.getCause() : stopped.getCause();
      assertTrue(cause instanceof java.util.concurrent.CancellationException || cause instanceof ai.onnxruntime.OrtException,
          "stopped by the cancellation, got " + cause);
    }
    assertEquals(384, pipeline.embed(List.of("still usable afterwards")).vectors()[0].length);
  }

  @Test
  void cancellingDuringOneLongOnnxRunAbortsThatRunThroughTheTerminateFlag() throws Exception {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      texts.add(longText(1000, 900 + i));
    }
    try (EmbeddingPipeline oneRun = EmbeddingPipeline.load(ModelSpec.allMiniLmL6V2(), new EngineOptions(1, 1, "cpu", 4096));
         RunControl control = RunControl.create()) {
      java.util.concurrent.CompletableFuture<Embeddings> run = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return oneRun.embed(texts, control);
        } catch (ai.onnxruntime.OrtException e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      });
      long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
      while (control.runsStarted() == 0 && !run.isDone()) {
        assertTrue(System.nanoTime() < deadline, "the run started");
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
      }
      assertEquals(1, control.runsStarted(), "all windows go in one ONNX run");
      control.cancel();
      java.util.concurrent.ExecutionException stopped =
          org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class, run::get);
      Throwable cause = stopped.getCause() instanceof java.util.concurrent.CompletionException c ? c.getCause() : stopped.getCause();
      assertTrue(cause instanceof ai.onnxruntime.OrtException && cause.getMessage().contains("terminate"),
          "the one run was aborted by ONNX Runtime's terminate flag, got " + cause);
    }
  }

  static String longText(int words, long seed) {
    String[] vocabulary = ("the of and to in a is that for it as was with be by on not he this are or his from at which "
        + "but have an they you were her she there can all their one been has more would will we if what other "
        + "river mountain engine quiet history garden letter window market winter science music doctor train").split(" ");
    Random random = new Random(seed);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < words; i++) {
      if (i > 0) {
        sb.append(i % 17 == 0 ? ". " : " ");
      }
      sb.append(vocabulary[random.nextInt(vocabulary.length)]);
    }
    return sb.append('.').toString();
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static double norm(float[] v) {
    return Math.sqrt(dot(v, v));
  }
}
