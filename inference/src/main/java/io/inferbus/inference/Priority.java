package io.inferbus.inference;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Declared from most to least urgent: the ordinal is the scheduling rank. */
public enum Priority {
  CRITICAL, HIGH, NORMAL, LOW;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Priority> fromWireName(String name) {
    return Arrays.stream(values()).filter(p -> p.wireName().equals(name)).findFirst();
  }
}
