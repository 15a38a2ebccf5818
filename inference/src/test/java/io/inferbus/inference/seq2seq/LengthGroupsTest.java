package io.inferbus.inference.seq2seq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LengthGroupsTest {
  @Test
  void inputsOfOneLengthRunTogether() {
    List<int[]> groups = LengthGroups.of(new int[] {20, 20, 20, 20}, 6);
    assertEquals(1, groups.size());
    assertEquals(4, groups.get(0).length);
  }

  @Test
  void aLongInputRunsApartWhenPaddingTheShortOnesToItCostsMoreThanARun() {
    // together: 6 + 4 x 24 = 102; apart: (6 + 3 x 2) + (6 + 24) = 42
    List<int[]> groups = LengthGroups.of(new int[] {2, 24, 2, 2}, 6);
    assertEquals(2, groups.size());
    assertArrayEquals(new int[] {0, 2, 3}, groups.get(0));
    assertArrayEquals(new int[] {1}, groups.get(1));
  }

  @Test
  void nearlyEqualLengthsStayTogetherWhenARunCostsMoreThanTheirPadding() {
    // together: 6 + 3 x 21 = 69; apart: (6 + 2 x 20) + (6 + 21) = 73
    assertEquals(1, LengthGroups.of(new int[] {20, 21, 20}, 6).size());
  }

  @Test
  void everyInputIsInExactlyOneGroupAndGroupsFollowLength() {
    int[] lengths = {5, 24, 17, 9, 24, 3, 12, 18, 18, 7, 22, 1};
    boolean[] seen = new boolean[lengths.length];
    int previousLongest = 0;
    for (int[] group : LengthGroups.of(lengths, 6)) {
      for (int j = 0; j < group.length; j++) {
        assertFalse(seen[group[j]], "index " + group[j] + " twice");
        seen[group[j]] = true;
        assertTrue(lengths[group[j]] >= previousLongest, "in length order");
        previousLongest = lengths[group[j]];
      }
    }
    for (boolean s : seen) {
      assertTrue(s);
    }
  }
}
