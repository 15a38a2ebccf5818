package io.inferbus.inference;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Declared from most to least urgent: the ordinal is the scheduling rank. */
public enum Priority {
  CRITICAL, HIGH, NORMAL, LOW;

  /** Computed once: names are read on every event and request. */
  private final String wireName = name().toLowerCase(Locale.ROOT);

  public String wireName() {
    return wireName;
  }

  public static Optional<Priority> fromWireName(String name) {
    return Arrays.stream(values()).filter(p -> p.wireName.equals(name)).findFirst();
  }
}
