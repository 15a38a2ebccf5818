package io.inferbus.inference.seq2seq;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.inferbus.inference.EngineOptions;
import io.inferbus.inference.ModelResources;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An encoder-decoder in the file layout Hugging Face Optimum exports ({@code encoder_model.onnx},
 * {@code decoder_model_merged.onnx}, {@code config.json}, and a {@code tokenizer.json} or a ByT5 byte
 * vocabulary), from a directory or a classpath folder. Layers, heads and sizes are read off the
 * graphs. A merged decoder that also takes {@code decoder_attention_mask} (inferbus's own export) lets
 * sequences whose caches differ in length share a run; without it, only sequences that started
 * together do. One whose {@code present.{i}.decoder.*} are declared one column long (inferbus's own
 * export again) returns only each step's new entries, which the caller appends to its caches.
 *
 * <p>Holds one encoder and one decoder session per generation lane.
 */
public final class Seq2SeqModel implements AutoCloseable {
  static final String ENCODER = "encoder_model.onnx";
  static final String DECODER = "decoder_model_merged.onnx";

  private final OrtEnvironment env;
  private final List<OrtSession> encoders;
  private final List<OrtSession> decoders;
  private final TokenCodec codec;
  final int layers;
  final int heads;
  final int headDim;
  final int hiddenSize;
  final boolean decoderMask;
  private final boolean appendSelfCache;
  final int startToken;
  final int eosToken;
  final int padToken;
  final int maxPositions;
  private boolean mixLengths;

  private Seq2SeqModel(OrtEnvironment env, List<OrtSession> encoders, List<OrtSession> decoders, TokenCodec codec, JsonObject config)
      throws OrtException {
    this.env = env;
    this.encoders = encoders;
    this.decoders = decoders;
    this.codec = codec;
    OrtSession decoder = decoders.get(0);
    Map<String, NodeInfo> inputs = decoder.getInputInfo();
    this.layers = (int) inputs.keySet().stream().filter(n -> n.startsWith("past_key_values.") && n.endsWith(".decoder.key")).count();
    long[] pastShape = ((TensorInfo) inputs.get("past_key_values.0.decoder.key").getInfo()).getShape();
    this.heads = (int) pastShape[1];
    this.headDim = (int) pastShape[3];
    long[] hidden = ((TensorInfo) encoders.get(0).getOutputInfo().get("last_hidden_state").getInfo()).getShape();
    this.hiddenSize = hidden[2] > 0 ? (int) hidden[2] : heads * headDim;
    this.decoderMask = inputs.containsKey("decoder_attention_mask");
    this.mixLengths = decoderMask;
    TensorInfo present = (TensorInfo) decoder.getOutputInfo().get("present.0.decoder.key").getInfo();
    this.appendSelfCache = present.getShape().length == 4 && present.getShape()[2] == 1;
    if (appendSelfCache && !decoderMask) {
      throw new IllegalArgumentException("a decoder that returns only each step's new cache entries must take decoder_attention_mask");
    }
    this.padToken = intOr(config, "pad_token_id", 0);
    this.eosToken = intOr(config, "eos_token_id", 1);
    this.startToken = intOr(config, "decoder_start_token_id", padToken);
    this.maxPositions = intOr(config, "max_position_embeddings", 1024);
    if (heads <= 0 || headDim <= 0 || layers == 0) {
      throw new IllegalArgumentException("the decoder's past_key_values need fixed head counts and sizes, got " + java.util.Arrays.toString(pastShape));
    }
  }

  /**
   * @param location a directory, or {@code classpath:folder}
   * @param options sessions = generation lanes, each with its own encoder and decoder session
   */
  public static Seq2SeqModel load(String location, EngineOptions options) throws IOException, OrtException {
    JsonObject config = json(location, "config.json");
    TokenCodec codec = codec(location, config);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    byte[] encoderGraph = ModelResources.read(ModelResources.child(location, ENCODER));
    byte[] decoderGraph = ModelResources.read(ModelResources.child(location, DECODER));
    List<OrtSession> encoders = new ArrayList<>();
    List<OrtSession> decoders = new ArrayList<>();
    try {
      for (int i = 0; i < options.sessions(); i++) {
        encoders.add(env.createSession(encoderGraph, options.sessionOptions()));
        decoders.add(env.createSession(decoderGraph, options.sessionOptions()));
      }
      return new Seq2SeqModel(env, encoders, decoders, codec, config);
    } catch (OrtException | RuntimeException e) {
      closeAll(encoders);
      closeAll(decoders);
      codec.close();
      throw e;
    }
  }

  /** tokenizer.json if the export has one; else ByT5's byte vocabulary, if the config says so. */
  private static TokenCodec codec(String location, JsonObject config) throws IOException {
    String tokenizerJson = ModelResources.child(location, "tokenizer.json");
    if (ModelResources.exists(tokenizerJson)) {
      try (InputStream in = ModelResources.open(tokenizerJson)) {
        return HfTokenCodec.load(in);
      }
    }
    String tokenizerConfig = ModelResources.child(location, "tokenizer_config.json");
    boolean byT5 = ModelResources.exists(tokenizerConfig)
        && "ByT5Tokenizer".equals(stringOr(json(location, "tokenizer_config.json"), "tokenizer_class", ""));
    if (!byT5) {
      throw new IOException(location + " has no tokenizer.json and its tokenizer_config.json does not name ByT5Tokenizer");
    }
    JsonObject inferbus = config.has("inferbus") ? config.getAsJsonObject("inferbus") : new JsonObject();
    boolean encoderEos = !inferbus.has("encoder_eos") || inferbus.get("encoder_eos").getAsBoolean();
    return new ByteTokenCodec(intOr(config, "eos_token_id", 1), encoderEos);
  }

  private static JsonObject json(String location, String name) throws IOException {
    try (InputStream in = ModelResources.open(ModelResources.child(location, name))) {
      return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
    }
  }

  private static int intOr(JsonObject json, String key, int fallback) {
    return json.has(key) && !json.get(key).isJsonNull() ? json.get(key).getAsInt() : fallback;
  }

  private static String stringOr(JsonObject json, String key, String fallback) {
    return json.has(key) && !json.get(key).isJsonNull() ? json.get(key).getAsString() : fallback;
  }

  public TokenCodec codec() {
    return codec;
  }

  /** Encoder and decoder session pairs: one generation lane each. */
  public int lanes() {
    return decoders.size();
  }

  OrtSession encoder(int lane) {
    return encoders.get(lane);
  }

  OrtSession decoder(int lane) {
    return decoders.get(lane);
  }

  OrtEnvironment env() {
    return env;
  }

  /** Whether the decoder returns only each step's new self-attention entries, for the caller to append. */
  boolean appendsSelfCache() {
    return appendSelfCache;
  }

  /** Whether sequences with caches of different lengths can share one decoder run. */
  public boolean mixesLengths() {
    return mixLengths;
  }

  /**
   * Runs each group of sequences that joined together as a batch of its own, as a decoder without
   * {@code decoder_attention_mask} must: for tests of that path with a model that has the mask.
   */
  void keepJoiningGroupsApart() {
    mixLengths = false;
  }

  /** At most this many output tokens, whatever a job asks: the decoder has no positions beyond it. */
  public int maxNewTokens() {
    return maxPositions - 1;
  }

  @Override
  public void close() {
    closeAll(encoders);
    closeAll(decoders);
    codec.close();
  }

  private static void closeAll(List<OrtSession> sessions) {
    for (OrtSession session : sessions) {
      try {
        session.close();
      } catch (OrtException ignored) {
        // shutting down
      }
    }
  }
}
