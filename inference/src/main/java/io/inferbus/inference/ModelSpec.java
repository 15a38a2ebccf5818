package io.inferbus.inference;

/**
 * What the service needs to know to load and describe a model.
 *
 * @param modelLocation  "classpath:NAME" or a file path of the .onnx graph
 * @param tokenizerLocation "classpath:NAME" or a file path of a Hugging Face tokenizer.json
 * @param maxTokens word pieces per window, special tokens included
 */
public record ModelSpec(
    String id,
    Task task,
    int dimensions,
    int maxTokens,
    String modelLocation,
    String tokenizerLocation) {

  public static final String DEFAULT_EMBEDDING_MODEL = "all-minilm-l6-v2";

  /** all-MiniLM-L6-v2, int8, packed in the langchain4j model artifact on the classpath. */
  public static ModelSpec allMiniLmL6V2() {
    return new ModelSpec(
        DEFAULT_EMBEDDING_MODEL,
        Task.EMBED,
        384,
        256,
        "classpath:all-minilm-l6-v2-q.onnx",
        "classpath:all-minilm-l6-v2-q-tokenizer.json");
  }
}
