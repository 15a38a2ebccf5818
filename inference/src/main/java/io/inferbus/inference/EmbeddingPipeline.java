package io.inferbus.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Tokenise, run, mean-pool with the attention mask, L2-normalise.
 *
 * <p>Thread-safe: each call borrows one ONNX session. A text longer than one window is embedded
 * window by window and the window vectors are averaged, weighted by their token counts.
 */
public final class EmbeddingPipeline implements AutoCloseable {
  private final ModelSpec spec;
  private final TextTokenizer tokenizer;
  private final OnnxSessionPool sessions;
  private final boolean wantsTokenTypes;
  private final int rowsPerRun;

  private EmbeddingPipeline(ModelSpec spec, TextTokenizer tokenizer, OnnxSessionPool sessions, int rowsPerRun) {
    this.rowsPerRun = rowsPerRun;
    this.spec = spec;
    this.tokenizer = tokenizer;
    this.sessions = sessions;
    this.wantsTokenTypes = sessions.any().getInputNames().contains("token_type_ids");
  }

  public static EmbeddingPipeline load(ModelSpec spec, EngineOptions options) throws IOException, OrtException {
    TextTokenizer tokenizer = TextTokenizer.load(spec.tokenizerLocation(), spec.maxTokens());
    try {
      return new EmbeddingPipeline(spec, tokenizer, OnnxSessionPool.load(ModelResources.read(spec.modelLocation()), options), options.rowsPerRun());
    } catch (IOException | OrtException | RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  public ModelSpec spec() {
    return spec;
  }

  public int sessions() {
    return sessions.size();
  }



  public Embeddings embed(List<String> texts) throws OrtException {
    try (RunControl control = RunControl.create()) {
      return embed(texts, control);
    }
  }

  /** Stops with a {@link java.util.concurrent.CancellationException} once {@code control} is cancelled. */
  public Embeddings embed(List<String> texts, RunControl control) throws OrtException {
    List<List<TokenWindow>> windowsPerText = texts.stream().map(tokenizer::windows).toList();
    List<TokenWindow> windows = windowsPerText.stream().flatMap(List::stream).toList();
    float[][] windowVectors = sessions.withSession(session -> runAll(session, windows, control));
    float[][] vectors = new float[texts.size()][];
    int[] tokens = new int[texts.size()];
    int first = 0;
    for (int i = 0; i < texts.size(); i++) {
      List<TokenWindow> own = windowsPerText.get(i);
      vectors[i] = combine(own, windowVectors, first);
      tokens[i] = own.stream().mapToInt(TokenWindow::length).sum();
      first += own.size();
    }
    return new Embeddings(vectors, tokens);
  }

  /** Runs windows of similar length together, so each run pads as little as possible. */
  private float[][] runAll(OrtSession session, List<TokenWindow> windows, RunControl control) throws OrtException {
    Integer[] order = new Integer[windows.size()];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, Comparator.comparingInt(i -> windows.get(i).length()));
    float[][] vectors = new float[windows.size()][];
    for (int from = 0; from < order.length; from += rowsPerRun) {
      int to = Math.min(order.length, from + rowsPerRun);
      List<TokenWindow> run = new ArrayList<>(to - from);
      for (int k = from; k < to; k++) {
        run.add(windows.get(order[k]));
      }
      control.checkNotCancelled();
      float[][] pooled = run(session, run, control);
      for (int k = from; k < to; k++) {
        vectors[order[k]] = pooled[k - from];
      }
    }
    return vectors;
  }

  private float[][] run(OrtSession session, List<TokenWindow> batch, RunControl control) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    int rows = batch.size();
    int width = batch.stream().mapToInt(TokenWindow::length).max().orElse(0);
    long[] shape = {rows, width};
    LongBuffer ids = LongBuffer.allocate(rows * width);
    LongBuffer mask = LongBuffer.allocate(rows * width);
    for (TokenWindow window : batch) {
      for (int t = 0; t < width; t++) {
        boolean real = t < window.length();
        ids.put(real ? window.ids()[t] : 0L);
        mask.put(real ? 1L : 0L);
      }
    }
    ids.flip();
    mask.flip();
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put("input_ids", OnnxTensor.createTensor(env, ids, shape));
      inputs.put("attention_mask", OnnxTensor.createTensor(env, mask, shape));
      if (wantsTokenTypes) {
        inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.allocate(rows * width), shape));
      }
      try (OrtSession.Result result = session.run(inputs, Set.of(session.getOutputNames().iterator().next()), control.startRun())) {
        FloatBuffer hidden = ((OnnxTensor) result.get(0)).getFloatBuffer();
        return meanPool(hidden, batch, width);
      }
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  private float[][] meanPool(FloatBuffer hidden, List<TokenWindow> batch, int width) {
    int dims = spec.dimensions();
    float[][] pooled = new float[batch.size()][];
    for (int row = 0; row < batch.size(); row++) {
      int length = batch.get(row).length();
      float[] sum = new float[dims];
      int base = row * width * dims;
      for (int t = 0; t < length; t++) {
        int offset = base + t * dims;
        for (int d = 0; d < dims; d++) {
          sum[d] += hidden.get(offset + d);
        }
      }
      for (int d = 0; d < dims; d++) {
        sum[d] /= length;
      }
      pooled[row] = normalize(sum);
    }
    return pooled;
  }

  private float[] combine(List<TokenWindow> windows, float[][] windowVectors, int first) {
    if (windows.size() == 1) {
      return windowVectors[first];
    }
    float[] sum = new float[spec.dimensions()];
    for (int w = 0; w < windows.size(); w++) {
      float[] v = windowVectors[first + w];
      int weight = windows.get(w).length();
      for (int d = 0; d < sum.length; d++) {
        sum[d] += v[d] * weight;
      }
    }
    return normalize(sum);
  }

  private static float[] normalize(float[] v) {
    double norm = 0;
    for (float x : v) {
      norm += x * x;
    }
    float scale = norm == 0 ? 0f : (float) (1.0 / Math.sqrt(norm));
    for (int d = 0; d < v.length; d++) {
      v[d] *= scale;
    }
    return v;
  }

  @Override
  public void close() {
    sessions.close();
    tokenizer.close();
  }
}
