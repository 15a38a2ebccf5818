package io.inferbus.verticles;

import io.vertx.core.json.JsonArray;
import java.util.Random;

/** Deterministic English-like inputs. */
public final class Texts {
  private static final String[] WORDS = ("the of and to in a is that for it as was with be by on not he this are or his "
      + "from at which but have an they you were her she there can all their one been has more would will we if what "
      + "river mountain engine quiet history garden letter window market winter science music doctor train village "
      + "morning station bridge forest ocean teacher library kitchen summer evening harbour").split(" ");

  private Texts() {}

  public static String sentence(Random random, int words) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < words; i++) {
      sb.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
    }
    return sb.append('.').toString();
  }

  /** {@code count} sentences of 12 to 42 words. */
  public static JsonArray sentences(int count, long seed) {
    Random random = new Random(seed);
    JsonArray texts = new JsonArray();
    for (int i = 0; i < count; i++) {
      texts.add(sentence(random, 12 + random.nextInt(31)));
    }
    return texts;
  }

  /** Inputs long enough that a job of them keeps both sessions busy for several seconds. */
  public static JsonArray slowInputs(int count, long seed) {
    Random random = new Random(seed);
    JsonArray texts = new JsonArray();
    for (int i = 0; i < count; i++) {
      texts.add(sentence(random, 100));
    }
    return texts;
  }
}
