package io.inferbus.inference.seq2seq;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sequences decoded together, one token each per step, with their key/value caches held in direct
 * buffers laid out as the decoder takes them: self-attention {@code [rows, heads, width, headDim]},
 * each row's {@code columns} entries right-aligned (padding on the left, masked); cross-attention
 * {@code [rows, heads, encoderColumns, headDim]}, left-aligned. A step reads the caches where they lie.
 *
 * <p>A decoder in Optimum's form returns the grown self caches whole: ONNX Runtime writes them
 * straight into a second set of buffers (pinned outputs) and {@code width} is {@code columns}. One
 * that returns only the step's new entries ({@link Seq2SeqModel#appendsSelfCache()}) reads caches
 * with spare columns on the right (masked, so {@code width} exceeds {@code columns}) and has each new
 * entry written into the next column in place: no step copies the caches.
 *
 * <p>Rows are the outermost dimension, so a change of rows touches only the rows that change: a
 * sequence that joins is written after the last row (its one cache entry in the last column), and
 * one that leaves takes the last row in its place. The whole layout is rebuilt only when it must
 * grow, or when a long-finished sequence leaves more left padding than the live ones need.
 *
 * <p>Made by a lane's prefill (on either of its threads), then used by its decoding thread alone.
 */
final class DecodeBatch {
  /** Spare columns allocated with the caches, so they grow without moving for this many steps. */
  private static final int SPARE_COLUMNS = 32;
  /**
   * Spare columns a decoder that appends reads (masked) before the caches are laid out anew: each
   * costs attention work every step, each layout a copy of the caches.
   */
  private static final int APPEND_SPARE_COLUMNS = 16;
  /**
   * An encoder run's own cost in input positions' work: one 20-byte piece took 0.90 ms alone and
   * 0.69 ms a piece in runs of 16, so a run costs about what 6 positions do.
   */
  private static final int ENCODER_RUN_COST = 6;

  private final Seq2SeqModel model;
  private final BufferPool pool;
  private final OrtSession encoder;
  private final OrtSession decoder;
  private final List<Sequence> rows;
  private final int rowCapacity;
  private int columns;
  private int width;
  private int encoderColumns;
  private FloatBuffer[] self;
  private FloatBuffer[] grown;
  private FloatBuffer[] entries;
  private FloatBuffer[] cross;
  private FloatBuffer zeros;

  private DecodeBatch(Seq2SeqModel model, int lane, BufferPool pool, List<Sequence> rows, int rowCapacity) {
    this.model = model;
    this.pool = pool;
    this.encoder = model.encoder(lane);
    this.decoder = model.decoder(lane);
    this.rows = rows;
    this.rowCapacity = Math.max(rowCapacity, rows.size());
    this.self = new FloatBuffer[2 * model.layers];
    this.grown = new FloatBuffer[2 * model.layers];
    this.entries = new FloatBuffer[2 * model.layers];
    this.cross = new FloatBuffer[2 * model.layers];
    this.zeros = pool.take(0);
  }

  List<Sequence> rows() {
    return rows;
  }

  int columns() {
    return columns;
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

  /**
   * Encodes new sequences and runs their first decoder step from the start token: the batch they
   * form (room for {@code rowCapacity} rows), and each one's most likely first token (in {@code firstTokens}).
   */
  static DecodeBatch prefill(Seq2SeqModel model, int lane, BufferPool pool, List<Sequence> fresh, int rowCapacity, int[] firstTokens)
      throws OrtException {
    int k = fresh.size();
    int s = fresh.stream().mapToInt(Sequence::inputTokens).max().orElse(1);
    DecodeBatch batch = new DecodeBatch(model, lane, pool, new ArrayList<>(fresh), rowCapacity);
    var env = model.env();
    List<OnnxTensor> inputs = new ArrayList<>();
    EncoderStates states = null;
    try {
      OnnxTensor attention = track(inputs, OnnxTensor.createTensor(env, mask(fresh, s), new long[] {k, s}));
      states = batch.encode(fresh, s);
      Map<String, OnnxTensor> feed = new HashMap<>();
      feed.put("input_ids", track(inputs, OnnxTensor.createTensor(env, filled(k, model.startToken), new long[] {k, 1})));
      feed.put("encoder_hidden_states", track(inputs, batch.tensor(states.values(), k, s, states.hidden())));
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
        batch.width = 1;
        batch.encoderColumns = s;
        int h = model.heads;
        int d = model.headDim;
        for (int layer = 0; layer < model.layers; layer++) {
          for (int kv = 0; kv < 2; kv++) {
            String name = kv == 0 ? "key" : "value";
            int slot = 2 * layer + kv;
            batch.self[slot] = batch.pool.take(batch.rowCapacity * h * (1 + SPARE_COLUMNS) * d);
            batch.self[slot].put(0, ((OnnxTensor) first.get("present." + layer + ".decoder." + name).orElseThrow()).getFloatBuffer(), 0, k * h * d);
            batch.cross[slot] = batch.pool.take(batch.rowCapacity * h * s * d);
            batch.cross[slot].put(0, ((OnnxTensor) first.get("present." + layer + ".encoder." + name).orElseThrow()).getFloatBuffer(), 0, k * h * s * d);
          }
        }
      }
    } finally {
      inputs.forEach(OnnxTensor::close);
      if (states != null) {
        pool.give(states.values());
      }
    }
    for (Sequence row : fresh) {
      row.history = 1;
    }
    return batch;
  }

  /** Encoder states of new rows, {@code [rows, columns, hidden]} in a pooled buffer. */
  private record EncoderStates(FloatBuffer values, int hidden) {}

  /**
   * The encoder's states of {@code fresh}, each padded with zeros to {@code s} positions. Inputs of
   * similar length are encoded together ({@link LengthGroups}) so that a short one is not padded to
   * the longest of all: with the held-out pieces (17.9 bytes on average, at most 24) in prefills of
   * six, over a fifth of the positions encoded were padding; grouped, the encoder took 12 % less time.
   */
  private EncoderStates encode(List<Sequence> fresh, int s) throws OrtException {
    int[] lengths = fresh.stream().mapToInt(Sequence::inputTokens).toArray();
    var env = model.env();
    FloatBuffer states = null;
    float[] padding = null;
    int hidden = 0;
    for (int[] group : LengthGroups.of(lengths, ENCODER_RUN_COST)) {
      List<Sequence> members = new ArrayList<>(group.length);
      for (int i : group) {
        members.add(fresh.get(i));
      }
      int longest = lengths[group[group.length - 1]];
      long[] shape = {group.length, longest};
      try (OnnxTensor ids = OnnxTensor.createTensor(env, ids(members, longest), shape);
           OnnxTensor mask = OnnxTensor.createTensor(env, mask(members, longest), shape);
           OrtSession.Result encoded = encoder.run(Map.of("input_ids", ids, "attention_mask", mask))) {
        OnnxTensor result = (OnnxTensor) encoded.get("last_hidden_state").orElseThrow();
        if (states == null) {
          hidden = (int) result.getInfo().getShape()[2];
          states = pool.take(fresh.size() * s * hidden);
          padding = new float[s * hidden];
        }
        FloatBuffer values = result.getFloatBuffer();
        for (int j = 0; j < group.length; j++) {
          int at = group[j] * s * hidden;
          int written = lengths[group[j]] * hidden;
          states.put(at, values, j * longest * hidden, written);
          states.put(at + written, padding, 0, s * hidden - written);
        }
      }
    }
    return new EncoderStates(states, hidden);
  }

  /** {@code rows}' input tokens, padded to {@code s}. */
  private LongBuffer ids(List<Sequence> rows, int s) {
    LongBuffer ids = LongBuffer.allocate(rows.size() * s);
    for (Sequence row : rows) {
      for (int t = 0; t < s; t++) {
        ids.put(t < row.input.length ? row.input[t] : model.padToken);
      }
    }
    return ids.flip();
  }

  /** 1 for each of {@code rows}' input tokens, 0 for padding to {@code s}. */
  private static LongBuffer mask(List<Sequence> rows, int s) {
    LongBuffer mask = LongBuffer.allocate(rows.size() * s);
    for (Sequence row : rows) {
      for (int t = 0; t < s; t++) {
        mask.put(t < row.input.length ? 1 : 0);
      }
    }
    return mask.flip();
  }

  /** One decoder step for every row, feeding each its {@code nextInput}: each row's most likely next token. */
  int[] step() throws OrtException {
    if (model.appendsSelfCache() && columns == width) {
      rebuild(new ArrayList<>(rows), null, rowCapacity);
    }
    int b = rows.size();
    int h = model.heads;
    int d = model.headDim;
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
        pool.give(zeros);
        zeros = pool.take(b * model.hiddenSize);
        zeros.put(0, new float[b * model.hiddenSize]);
      }
      feed.put("encoder_hidden_states", track(tensors, tensor(zeros, b, 1, model.hiddenSize)));
      feed.put("encoder_attention_mask", track(tensors, OnnxTensor.createTensor(env, mask(rows, encoderColumns), new long[] {b, encoderColumns})));
      if (model.decoderMask) {
        feed.put("decoder_attention_mask", track(tensors, OnnxTensor.createTensor(env, selfMask(), new long[] {b, width + 1})));
      }
      Map<String, OnnxValue> pinned = new HashMap<>();
      for (int layer = 0; layer < model.layers; layer++) {
        for (int kv = 0; kv < 2; kv++) {
          String name = kv == 0 ? "key" : "value";
          int slot = 2 * layer + kv;
          feed.put("past_key_values." + layer + ".decoder." + name, track(tensors, tensor(self[slot], b, h, width, d)));
          feed.put("past_key_values." + layer + ".encoder." + name, track(tensors, tensor(cross[slot], b, h, encoderColumns, d)));
          pinned.put("present." + layer + ".decoder." + name, track(tensors, presentTensor(slot, b)));
        }
      }
      feed.put("use_cache_branch", track(tensors, OnnxTensor.createTensor(env, new boolean[] {true})));
      int[] next = new int[b];
      try (OrtSession.Result result = decoder.run(feed, Set.of("logits"), pinned)) {
        argmax(((OnnxTensor) result.get("logits").orElseThrow()).getFloatBuffer(), b, next);
      }
      if (model.appendsSelfCache()) {
        appendEntries(b);
      } else {
        FloatBuffer[] previous = self;
        self = grown;
        grown = previous;
        width = columns + 1;
      }
      columns++;
      for (Sequence row : rows) {
        row.history++;
      }
      return next;
    } finally {
      tensors.forEach(OnnxTensor::close);
    }
  }

  /** Where the decoder writes this step's self caches: the grown caches whole, or the new entries alone. */
  private OnnxTensor presentTensor(int slot, int b) throws OrtException {
    int h = model.heads;
    int d = model.headDim;
    if (model.appendsSelfCache()) {
      if (entries[slot] == null || entries[slot].capacity() < b * h * d) {
        pool.give(entries[slot]);
        entries[slot] = pool.take(Math.max(rowCapacity, b) * h * d);
      }
      return tensor(entries[slot], b, h, 1, d);
    }
    if (grown[slot] == null || grown[slot].capacity() < b * h * (columns + 1) * d) {
      pool.give(grown[slot]);
      grown[slot] = pool.take(Math.max(rowCapacity, b) * h * (columns + 1 + SPARE_COLUMNS) * d);
    }
    return tensor(grown[slot], b, h, columns + 1, d);
  }

  /** Writes each row's new entries into the column after its cache (there is room: {@code columns < width}). */
  private void appendEntries(int b) {
    int h = model.heads;
    int d = model.headDim;
    for (int slot = 0; slot < 2 * model.layers; slot++) {
      for (int r = 0; r < b; r++) {
        for (int head = 0; head < h; head++) {
          self[slot].put(((r * h + head) * width + columns) * d, entries[slot], (r * h + head) * d, d);
        }
      }
    }
  }

  /**
   * The rows of a freshly prefilled batch join this one, after its last row; needs the decoder mask
   * (their caches are one entry long, this batch's are longer). {@code fresh} is used up.
   */
  void absorb(DecodeBatch fresh) {
    removeEnded();
    int h = model.heads;
    int d = model.headDim;
    int b = rows.size();
    int k = fresh.rows.size();
    if (b + k > rowCapacity || fresh.encoderColumns > encoderColumns || b == 0) {
      List<Sequence> all = new ArrayList<>(rows);
      all.addAll(fresh.rows);
      rebuild(all, fresh, Math.max(rowCapacity, b + k));
      return;
    }
    int rowSize = h * width * d;
    int crossRowSize = h * encoderColumns * d;
    if (!model.appendsSelfCache()) {
      ensureColumns(columns);
    }
    for (int slot = 0; slot < 2 * model.layers; slot++) {
      for (int i = 0; i < k; i++) {
        for (int head = 0; head < h; head++) {
          int at = (b + i) * rowSize + (head * width + columns - 1) * d;
          self[slot].put(at, fresh.self[slot], (i * h + head) * d, d);
          cross[slot].put((b + i) * crossRowSize + head * encoderColumns * d, fresh.cross[slot], (i * h + head) * fresh.encoderColumns * d,
              fresh.encoderColumns * d);
        }
      }
    }
    rows.addAll(fresh.rows);
    fresh.release();
  }

  /**
   * Drops rows that ended or were cancelled: the last row takes each one's place. When every live
   * row's cache is much shorter than the layout (its longest rows have left), the layout shrinks.
   */
  void removeEnded() {
    int h = model.heads;
    int d = model.headDim;
    for (int r = 0; r < rows.size(); ) {
      if (rows.get(r).live()) {
        r++;
        continue;
      }
      int last = rows.size() - 1;
      if (r != last) {
        for (int slot = 0; slot < 2 * model.layers; slot++) {
          self[slot].put(r * h * width * d, self[slot], last * h * width * d, h * width * d);
          cross[slot].put(r * h * encoderColumns * d, cross[slot], last * h * encoderColumns * d, h * encoderColumns * d);
        }
        rows.set(r, rows.get(last));
      }
      rows.remove(last);
    }
    int longest = rows.stream().mapToInt(row -> row.history).max().orElse(0);
    if (!rows.isEmpty() && columns - longest >= SPARE_COLUMNS) {
      rebuild(new ArrayList<>(rows), null, rowCapacity);
    }
  }

  /** Keeps the self caches' capacity for the present columns (and the step after). */
  private void ensureColumns(int needed) {
    int size = rowCapacity * model.heads * (needed + 1) * model.headDim;
    for (int slot = 0; slot < 2 * model.layers; slot++) {
      if (self[slot].capacity() < size) {
        FloatBuffer bigger = pool.take(rowCapacity * model.heads * (needed + 1 + SPARE_COLUMNS) * model.headDim);
        bigger.put(0, self[slot], 0, rows.size() * model.heads * columns * model.headDim);
        pool.give(self[slot]);
        self[slot] = bigger;
      }
    }
  }

  /** A new layout for {@code all}: rows of this batch, then those of {@code fresh} (null: none), each right-aligned. */
  private void rebuild(List<Sequence> all, DecodeBatch fresh, int capacity) {
    int h = model.heads;
    int d = model.headDim;
    int b = all.size();
    int newColumns = Math.max(1, all.stream().mapToInt(row -> row.history).max().orElse(1));
    int newWidth = model.appendsSelfCache() ? newColumns + APPEND_SPARE_COLUMNS : newColumns;
    int allocatedWidth = model.appendsSelfCache() ? newWidth : newColumns + 1 + SPARE_COLUMNS;
    int newEncoder = all.stream().mapToInt(Sequence::inputTokens).max().orElse(1);
    int own = rows.size();
    FloatBuffer[] newSelf = new FloatBuffer[2 * model.layers];
    FloatBuffer[] newCross = new FloatBuffer[2 * model.layers];
    for (int slot = 0; slot < 2 * model.layers; slot++) {
      newSelf[slot] = pool.take(capacity * h * allocatedWidth * d);
      newCross[slot] = pool.take(capacity * h * newEncoder * d);
      for (int r = 0; r < b; r++) {
        DecodeBatch source = r < own ? this : fresh;
        int sourceRow = r < own ? r : r - own;
        Sequence row = all.get(r);
        for (int head = 0; head < h; head++) {
          int src = ((sourceRow * h + head) * source.width + source.columns - row.history) * d;
          int dst = ((r * h + head) * newWidth + newColumns - row.history) * d;
          newSelf[slot].put(dst, source.self[slot], src, row.history * d);
          newCross[slot].put((r * h + head) * newEncoder * d, source.cross[slot], (sourceRow * h + head) * source.encoderColumns * d,
              row.inputTokens() * d);
        }
      }
    }
    if (fresh != null) {
      fresh.release();
    }
    for (int slot = 0; slot < 2 * model.layers; slot++) {
      pool.give(self[slot]);
      pool.give(grown[slot]);
      pool.give(cross[slot]);
      grown[slot] = null;
    }
    rows.clear();
    rows.addAll(all);
    self = newSelf;
    cross = newCross;
    columns = newColumns;
    width = newWidth;
    encoderColumns = newEncoder;
  }

  /** Gives the caches back to the lane's pool: the batch is done. */
  void release() {
    for (int slot = 0; slot < self.length; slot++) {
      pool.give(self[slot]);
      pool.give(grown[slot]);
      pool.give(entries[slot]);
      pool.give(cross[slot]);
      self[slot] = null;
      grown[slot] = null;
      entries[slot] = null;
      cross[slot] = null;
    }
    pool.give(zeros);
    zeros = null;
  }

  /** Each row's cache entries and this step (1) against padding and spare columns (0). */
  private LongBuffer selfMask() {
    LongBuffer mask = LongBuffer.allocate(rows.size() * (width + 1));
    for (Sequence row : rows) {
      for (int t = 0; t < width; t++) {
        mask.put(t >= columns - row.history && t < columns ? 1 : 0);
      }
      mask.put(1);
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
