package io.inferbus.inference;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

public enum Task {
  EMBED, NOOP;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Task> fromWireName(String name) {
    return Arrays.stream(values()).filter(t -> t.wireName().equals(name)).findFirst();
  }
}
