package io.inferbus.verticles.api;

import io.inferbus.verticles.ErrorCode;
import io.inferbus.verticles.config.InferbusConfig.ModelConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/** The request options and response shape of OpenAI's /v1/embeddings. */
final class OpenAiEmbeddings {
  private OpenAiEmbeddings() {}

  /** OpenAI's clients ask for base64 (little-endian float32) by default. */
  static boolean wantsBase64(JsonObject body) {
    Object format = body.getValue("encoding_format", "float");
    if ("float".equals(format)) {
      return false;
    }
    if ("base64".equals(format)) {
      return true;
    }
    throw new ApiError(ErrorCode.INVALID_ENCODING_FORMAT, "'encoding_format' must be float or base64");
  }

  static void checkDimensions(JsonObject body, ModelConfig model) {
    Object dimensions = body.getValue("dimensions");
    if (dimensions != null && !(dimensions instanceof Number n && n.intValue() == model.spec().dimensions())) {
      throw new ApiError(ErrorCode.INVALID_DIMENSIONS, "model '" + model.id() + "' returns " + model.spec().dimensions() + " dimensions");
    }
  }

  static JsonObject response(String model, JsonObject result, boolean base64) {
    JsonArray embeddings = result.getJsonArray("embeddings");
    JsonArray data = new JsonArray();
    for (int i = 0; i < embeddings.size(); i++) {
      JsonArray vector = embeddings.getJsonArray(i);
      data.add(new JsonObject()
          .put("object", "embedding")
          .put("index", i)
          .put("embedding", base64 ? encode(vector) : vector));
    }
    int tokens = result.getInteger("tokens");
    return new JsonObject()
        .put("object", "list")
        .put("data", data)
        .put("model", model)
        .put("usage", new JsonObject().put("prompt_tokens", tokens).put("total_tokens", tokens));
  }

  private static String encode(JsonArray vector) {
    ByteBuffer bytes = ByteBuffer.allocate(vector.size() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < vector.size(); i++) {
      bytes.putFloat(((Number) vector.getValue(i)).floatValue());
    }
    return Base64.getEncoder().encodeToString(bytes.array());
  }
}
