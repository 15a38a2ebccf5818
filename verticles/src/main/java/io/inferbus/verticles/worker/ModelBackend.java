package io.inferbus.verticles.worker;

import io.inferbus.inference.EmbeddingPipeline;
import io.inferbus.inference.Embeddings;
import io.inferbus.inference.NoopModel;
import io.inferbus.inference.RunControl;
import io.inferbus.verticles.config.InferbusConfig.ModelConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** What a worker needs of a model: run a batch, estimate an input's cost, assemble a job's result. */
interface ModelBackend extends AutoCloseable {

  /** Loads the model: blocking, call it off the event loop. */
  static ModelBackend load(ModelConfig model, io.inferbus.inference.EngineOptions engine) throws Exception {
    return switch (model.spec().task()) {
      case EMBED -> new Embedding(EmbeddingPipeline.load(model.spec(), engine));
      case NOOP -> new Noop(new NoopModel(model.delayMs()), model.engine().sessions());
      case TRANSLITERATE -> throw new IllegalArgumentException("generative models run on a GenerationWorkerVerticle");
    };
  }

  int sessions();

  /** Runs on a runner thread; stops with an exception once {@code control} is cancelled. */
  BatchOutput run(List<String> inputs, RunControl control) throws Exception;

  /** Estimated cost of one input against the batch's token budget; cheap, called on the event loop. */
  int cost(String input);

  JsonObject result(Object[] outputs, int tokens);

  @Override
  void close();

  record Embedding(EmbeddingPipeline pipeline) implements ModelBackend {
    @Override
    public int sessions() {
      return pipeline.sessions();
    }

    @Override
    public BatchOutput run(List<String> inputs, RunControl control) throws Exception {
      Embeddings embeddings = pipeline.embed(inputs, control);
      Object[] rows = new Object[inputs.size()];
      for (int i = 0; i < rows.length; i++) {
        float[] vector = embeddings.vectors()[i];
        JsonArray row = new JsonArray(new ArrayList<>(vector.length));
        for (float x : vector) {
          row.add(x);
        }
        rows[i] = row;
      }
      return new BatchOutput(rows, embeddings.tokensPerText());
    }

    /** About four characters per word piece, plus [CLS] and [SEP]. */
    @Override
    public int cost(String input) {
      return input.length() / 4 + 2;
    }

    @Override
    public JsonObject result(Object[] outputs, int tokens) {
      return new JsonObject()
          .put("embeddings", new JsonArray(new ArrayList<>(Arrays.asList(outputs))))
          .put("dimensions", pipeline.spec().dimensions())
          .put("tokens", tokens);
    }

    @Override
    public void close() {
      pipeline.close();
    }
  }

  record Noop(NoopModel model, int sessions) implements ModelBackend {
    @Override
    public BatchOutput run(List<String> inputs, RunControl control) throws Exception {
      return new BatchOutput(model.run(inputs, control::cancelled).toArray(), new int[inputs.size()]);
    }

    @Override
    public int cost(String input) {
      return 1;
    }

    @Override
    public JsonObject result(Object[] outputs, int tokens) {
      return new JsonObject().put("outputs", new JsonArray(new ArrayList<>(Arrays.asList(outputs))));
    }

    @Override
    public void close() {
      // nothing loaded
    }
  }
}
