package io.inferbus.loadtest;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A fixed, reproducible corpus of English-like sentences of 12 to 42 words (about 33 word pieces on average). */
public final class Corpus {
  private static final String[] WORDS = ("the of and to in a is that for it as was with be by on not he this are or his "
      + "from at which but have an they you were her she there can all their one been has more would will we if what "
      + "river mountain engine quiet history garden letter window market winter science music doctor train village "
      + "morning station bridge forest ocean teacher library kitchen summer evening harbour painter country question "
      + "language travel computer network message picture reason company family student").split(" ");

  private Corpus() {}

  public static List<String> sentences(int count, long seed) {
    Random random = new Random(seed);
    List<String> sentences = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int words = 12 + random.nextInt(31);
      StringBuilder sb = new StringBuilder();
      for (int w = 0; w < words; w++) {
        String word = WORDS[random.nextInt(WORDS.length)];
        sb.append(w == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : " " + word);
      }
      sentences.add(sb.append('.').toString());
    }
    return sentences;
  }
}
