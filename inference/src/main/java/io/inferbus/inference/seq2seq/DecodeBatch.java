package io.inferbus.inference.seq2seq;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sequences decoded together, one token each per step, with their key/value caches held in direct
 * buffers laid out as the decoder takes them: self-attention {@code [rows, heads, columns, headDim]},
 * each row's entries right-aligned (padding on the left, masked); cross-attention
 * {@code [rows, heads, encoderColumns, headDim]}, left-aligned. A step reads the caches where they lie
 * and has ONNX Runtime write the grown self caches straight into a second set of buffers (pinned
 * outputs), so steady decoding copies nothing. Only a change of rows (sequences joining or
 * leaving) rebuilds the layout.
 *
 * <p>Confined to one lane's thread.
 */
final class DecodeBatch {
  private final Seq2SeqModel model;
  private final OrtSession decoder;
  private final List<Sequence> rows;
  private int columns;
  private int encoderColumns;
  private FloatBuffer[] self;
  private FloatBuffer[] grown;
  private FloatBuffer[] cross;
  private FloatBuffer zeros = direct(0);

  private DecodeBatch(Seq2SeqModel model, int lane, List<Sequence> rows) {
    this.model = model;
    this.decoder = model.decoder(lane);
    this.rows = rows;
    this.self = new FloatBuffer[2 * model.layers];
    this.grown = new FloatBuffer[2 * model.layers];
    this.cross = new FloatBuffer[2 * model.layers];
  }

  List<Sequence> rows() {
    return rows;
  }

  int live() {
    int live = 0;
    for (Sequence row : rows) {
      if (row.live()) {
        live++;
      }
    }
    return live;
  }

  /** Rows that ended or were cancelled but still take a place in each step. */
  int dead() {
    return rows.size() - live();
  }

  int columns() {
    return columns;
  }

  /**
   * Encodes new sequences and runs their first decoder step from the start token: the batch they
   * form, and each one's most likely first token (in {@code firstTokens}).
   */
  static DecodeBatch prefill(Seq2SeqModel model, int lane, List<Sequence> fresh, int[] firstTokens) throws OrtException {
    int k = fresh.size();
    int s = fresh.stream().mapToInt(Sequence::inputTokens).max().orElse(1);
    LongBuffer ids = LongBuffer.allocate(k * s);
    LongBuffer mask = LongBuffer.allocate(k * s);
    for (Sequence row : fresh) {
      for (int t = 0; t < s; t++) {
        ids.put(t < row.input.length ? row.input[t] : model.padToken);
        mask.put(t < row.input.length ? 1 : 0);
      }
    }
    DecodeBatch batch = new DecodeBatch(model, lane, new ArrayList<>(fresh));
    var env = model.env();
    List<OnnxTensor> inputs = new ArrayList<>();
    try {
      OnnxTensor inputIds = track(inputs, OnnxTensor.createTensor(env, ids.flip(), new long[] {k, s}));
      OnnxTensor attention = track(inputs, OnnxTensor.createTensor(env, mask.flip(), new long[] {k, s}));
      try (OrtSession.Result encoded = model.encoder(lane).run(Map.of("input_ids", inputIds, "attention_mask", attention))) {
        Map<String, OnnxTensor> feed = new HashMap<>();
        feed.put("input_ids", track(inputs, OnnxTensor.createTensor(env, filled(k, model.startToken), new long[] {k, 1})));
        feed.put("encoder_hidden_states", (OnnxTensor) encoded.get("last_hidden_state").orElseThrow());
        feed.put("encoder_attention_mask", attention);
        if (model.decoderMask) {
          feed.put("decoder_attention_mask", track(inputs, OnnxTensor.createTensor(env, filled(k, 1), new long[] {k, 1})));
        }
        OnnxTensor empty = track(inputs, batch.tensor(batch.zeros, k, model.heads, 0, model.headDim));
        for (int layer = 0; layer < model.layers; layer++) {
          for (String kind : List.of("decoder", "encoder")) {
            feed.put("past_key_values." + layer + "." + kind + ".key", empty);
            feed.put("past_key_values." + layer + "." + kind + ".value", empty);
          }
        }
        feed.put("use_cache_branch", track(inputs, OnnxTensor.createTensor(env, new boolean[] {false})));
        try (OrtSession.Result first = batch.decoder.run(feed)) {
          argmax(((OnnxTensor) first.get("logits").orElseThrow()).getFloatBuffer(), k, firstTokens);
          batch.columns = 1;
          batch.encoderColumns = s;
          for (int layer = 0; layer < model.layers; layer++) {
            for (int kv = 0; kv < 2; kv++) {
              String name = kv == 0 ? "key" : "value";
              batch.self[2 * layer + kv] = copyOf(((OnnxTensor) first.get("present." + layer + ".decoder." + name).orElseThrow()).getFloatBuffer());
              batch.cross[2 * layer + kv] = copyOf(((OnnxTensor) first.get("present." + layer + ".encoder." + name).orElseThrow()).getFloatBuffer());
            }
          }
        }
      }
    } finally {
      inputs.forEach(OnnxTensor::close);
    }
    for (Sequence row : fresh) {
      row.history = 1;
    }
    return batch;
  }

  /** One decoder step for every row, feeding each its {@code nextInput}: each row's most likely next token. */
  int[] step() throws OrtException {
    int b = rows.size();
    int h = model.heads;
    int d = model.headDim;
    int grownSize = b * h * (columns + 1) * d;
    var env = model.env();
    List<OnnxTensor> tensors = new ArrayList<>();
    try {
      LongBuffer ids = LongBuffer.allocate(b);
      for (Sequence row : rows) {
        ids.put(row.nextInput);
      }
      Map<String, OnnxTensor> feed = new HashMap<>();
      feed.put("input_ids", track(tensors, OnnxTensor.createTensor(env, ids.flip(), new long[] {b, 1})));
      if (zeros.capacity() < b * model.hiddenSize) {
        zeros = direct(b * model.hiddenSize);
      }
      feed.put("encoder_hidden_states", track(tensors, tensor(zeros, b, 1, model.hiddenSize)));
      feed.put("encoder_attention_mask", track(tensors, OnnxTensor.createTensor(env, encoderMask(), new long[] {b, encoderColumns})));
      if (model.decoderMask) {
        feed.put("decoder_attention_mask", track(tensors, OnnxTensor.createTensor(env, selfMask(), new long[] {b, columns + 1})));
      }
      Map<String, OnnxValue> pinned = new HashMap<>();
      for (int layer = 0; layer < model.layers; layer++) {
        for (int kv = 0; kv < 2; kv++) {
          String name = kv == 0 ? "key" : "value";
          int slot = 2 * layer + kv;
          feed.put("past_key_values." + layer + ".decoder." + name, track(tensors, tensor(self[slot], b, h, columns, d)));
          feed.put("past_key_values." + layer + ".encoder." + name, track(tensors, tensor(cross[slot], b, h, encoderColumns, d)));
          if (grown[slot] == null || grown[slot].capacity() < grownSize) {
            grown[slot] = direct(b * h * (columns + 1 + 32) * d);
          }
          pinned.put("present." + layer + ".decoder." + name, track(tensors, tensor(grown[slot], b, h, columns + 1, d)));
        }
      }
      feed.put("use_cache_branch", track(tensors, OnnxTensor.createTensor(env, new boolean[] {true})));
      int[] next = new int[b];
      try (OrtSession.Result result = decoder.run(feed, Set.of("logits"), pinned)) {
        argmax(((OnnxTensor) result.get("logits").orElseThrow()).getFloatBuffer(), b, next);
      }
      FloatBuffer[] previous = self;
      self = grown;
      grown = previous;
      columns++;
      for (Sequence row : rows) {
        row.history++;
      }
      return next;
    } finally {
      tensors.forEach(OnnxTensor::close);
    }
  }

  /** Rows that join: this batch's live rows, then {@code other}'s, in one layout. Needs the decoder mask. */
  void absorb(DecodeBatch other) {
    List<Sequence> kept = new ArrayList<>();
    List<DecodeBatch> from = new ArrayList<>();
    List<Integer> at = new ArrayList<>();
    for (int r = 0; r < rows.size(); r++) {
      if (rows.get(r).live()) {
        kept.add(rows.get(r));
        from.add(this);
        at.add(r);
      }
    }
    for (int r = 0; r < other.rows.size(); r++) {
      if (other.rows.get(r).live()) {
        kept.add(other.rows.get(r));
        from.add(other);
        at.add(r);
      }
    }
    rebuild(kept, from, at);
  }

  /** Drops rows that ended or were cancelled. */
  void compact() {
    absorb(new DecodeBatch(model, 0, new ArrayList<>()));
  }

  private void rebuild(List<Sequence> kept, List<DecodeBatch> from, List<Integer> at) {
    int h = model.heads;
    int d = model.headDim;
    int b = kept.size();
    int newColumns = kept.stream().mapToInt(row -> row.history).max().orElse(0);
    int newEncoder = kept.stream().mapToInt(Sequence::inputTokens).max().orElse(0);
    FloatBuffer[] newSelf = new FloatBuffer[2 * model.layers];
    FloatBuffer[] newCross = new FloatBuffer[2 * model.layers];
    for (int slot = 0; slot < 2 * model.layers; slot++) {
      newSelf[slot] = direct(b * h * (newColumns + 32) * d);
      newCross[slot] = direct(b * h * newEncoder * d);
      for (int r = 0; r < b; r++) {
        DecodeBatch source = from.get(r);
        int sourceRow = at.get(r);
        Sequence row = kept.get(r);
        for (int head = 0; head < h; head++) {
          int length = row.history * d;
          int src = ((sourceRow * h + head) * source.columns + source.columns - row.history) * d;
          int dst = ((r * h + head) * newColumns + newColumns - row.history) * d;
          newSelf[slot].put(dst, source.self[slot], src, length);
          int enc = row.inputTokens() * d;
          newCross[slot].put((r * h + head) * newEncoder * d, source.cross[slot], (sourceRow * h + head) * source.encoderColumns * d, enc);
        }
      }
    }
    rows.clear();
    rows.addAll(kept);
    self = newSelf;
    cross = newCross;
    grown = new FloatBuffer[2 * model.layers];
    columns = newColumns;
    encoderColumns = newEncoder;
  }

  private LongBuffer selfMask() {
    LongBuffer mask = LongBuffer.allocate(rows.size() * (columns + 1));
    for (Sequence row : rows) {
      for (int t = 0; t <= columns; t++) {
        mask.put(t >= columns - row.history ? 1 : 0);
      }
    }
    return mask.flip();
  }

  private LongBuffer encoderMask() {
    LongBuffer mask = LongBuffer.allocate(rows.size() * encoderColumns);
    for (Sequence row : rows) {
      for (int t = 0; t < encoderColumns; t++) {
        mask.put(t < row.inputTokens() ? 1 : 0);
      }
    }
    return mask.flip();
  }

  private OnnxTensor tensor(FloatBuffer buffer, long... shape) throws OrtException {
    int size = 1;
    for (long dim : shape) {
      size *= (int) dim;
    }
    FloatBuffer view = buffer.duplicate();
    view.position(0).limit(size);
    return OnnxTensor.createTensor(model.env(), view.slice(), shape);
  }

  private static OnnxTensor track(List<OnnxTensor> tensors, OnnxTensor tensor) {
    tensors.add(tensor);
    return tensor;
  }

  private static LongBuffer filled(int n, long value) {
    LongBuffer buffer = LongBuffer.allocate(n);
    for (int i = 0; i < n; i++) {
      buffer.put(value);
    }
    return buffer.flip();
  }

  static FloatBuffer direct(int floats) {
    return ByteBuffer.allocateDirect(Math.max(1, floats) * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  private static FloatBuffer copyOf(FloatBuffer data) {
    FloatBuffer copy = direct(data.remaining());
    copy.put(0, data, data.position(), data.remaining());
    return copy;
  }

  /** The most likely token of each row's last position ({@code logits} is [rows, 1, vocabulary]). */
  private static void argmax(FloatBuffer logits, int rows, int[] into) {
    int vocabulary = logits.remaining() / rows;
    for (int r = 0; r < rows; r++) {
      int base = r * vocabulary;
      int best = 0;
      float bestValue = logits.get(base);
      for (int v = 1; v < vocabulary; v++) {
        float value = logits.get(base + v);
        if (value > bestValue) {
          bestValue = value;
          best = v;
        }
      }
      into[r] = best;
    }
  }
}
