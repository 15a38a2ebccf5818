package io.inferbus.inference;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

public enum Task {
  EMBED, TRANSLITERATE, NOOP;

  /** Computed once: names are read on every event and request. */
  private final String wireName = name().toLowerCase(Locale.ROOT);

  /** Whether the task writes text token by token (a sequence model) rather than one output per input. */
  public boolean generative() {
    return this == TRANSLITERATE;
  }

  public String wireName() {
    return wireName;
  }

  public static Optional<Task> fromWireName(String name) {
    return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
  }
}
