package io.inferbus.loadtest;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/** Feeders of job bodies: romanised Russian as people type it, each body unique so no answer comes from the cache. */
final class Transliterations {
  private static final List<String> SENTENCES = List.of(
      "privet, kak dela?",
      "ya segodnya rabotayu doma",
      "zavtra budet horoshaya pogoda",
      "my poedem na dachu v subbotu",
      "spasibo bolshoe za pomosch",
      "gde nahoditsya blizhayshaya apteka?",
      "ona chitaet knigu o puteshestviyah",
      "moy brat zhivet v Moskve uzhe pyat let",
      "davay vstretimsya u metro v sem chasov",
      "etot film mne ochen ponravilsya",
      "skolko stoit bilet do Sankt-Peterburga?",
      "deti igrayut vo dvore posle shkoly",
      "ya ne znayu, chto skazat",
      "nado kupit hleb, moloko i yaytsa",
      "v etom gorode mnogo krasivyh parkov",
      "pozvoni mne, kogda budesh svoboden");

  private Transliterations() {}

  /** {@code "job"}: a transliteration job of {@code sentences} sentences (one input), with a number that makes it unique. */
  static Iterator<Map<String, Object>> jobs(int sentences, String priority) {
    AtomicLong next = new AtomicLong();
    return Stream.generate(() -> {
      long n = next.getAndIncrement();
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < sentences; i++) {
        text.append(i == 0 ? "" : " ").append(SENTENCES.get((int) ((n + i) % SENTENCES.size())));
      }
      text.append(" #").append(n);
      String body = "{\"task\":\"transliterate\",\"priority\":\"" + priority + "\",\"input\":\"" + text + "\"}";
      return Map.<String, Object>of("job", body);
    }).iterator();
  }
}
