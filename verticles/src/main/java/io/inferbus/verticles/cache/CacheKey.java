package io.inferbus.verticles.cache;

import io.inferbus.inference.Task;
import io.inferbus.verticles.config.InferbusConfig.ModelConfig;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * What makes two jobs the same work: the model, its version and the settings that change its
 * results, the task and every input, in order. Each part is length-prefixed, so no two different jobs hash the same bytes.
 */
public final class CacheKey {
  private CacheKey() {}

  /** @param parameters what the job asked that changes its result (e.g. max_new_tokens), in a fixed form */
  public static String of(ModelConfig model, Task task, String parameters, List<String> inputs) {
    MessageDigest digest = sha256();
    update(digest, model.id());
    update(digest, model.version());
    update(digest, model.resultParameters());
    update(digest, task.wireName());
    update(digest, parameters);
    digest.update(ByteBuffer.allocate(4).putInt(inputs.size()).flip());
    inputs.forEach(input -> update(digest, input));
    return HexFormat.of().formatHex(digest.digest());
  }

  private static void update(MessageDigest digest, String part) {
    byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
    digest.update(ByteBuffer.allocate(4).putInt(bytes.length).flip());
    digest.update(bytes);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
