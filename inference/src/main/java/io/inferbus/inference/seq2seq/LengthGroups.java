package io.inferbus.inference.seq2seq;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Splits inputs of different lengths into groups that each run padded to their own longest, so
 * that short inputs are not padded to the longest of all. A run costs {@code runCost} plus its rows
 * times its longest length; the split returned costs least in all (an optimal split is contiguous
 * in length order, so that order is searched).
 */
final class LengthGroups {
  private LengthGroups() {}

  /** @return indices into {@code lengths}, one array per group, each in length order, shortest group first */
  static List<int[]> of(int[] lengths, int runCost) {
    int n = lengths.length;
    int[] byLength = IntStream.range(0, n).boxed().sorted(Comparator.comparingInt(i -> lengths[i])).mapToInt(Integer::intValue).toArray();
    long[] best = new long[n + 1];
    int[] start = new int[n + 1];
    Arrays.fill(best, Long.MAX_VALUE);
    best[0] = 0;
    for (int end = 1; end <= n; end++) {
      int longest = lengths[byLength[end - 1]];
      for (int from = 0; from < end; from++) {
        long cost = best[from] + runCost + (long) (end - from) * longest;
        if (cost < best[end]) {
          best[end] = cost;
          start[end] = from;
        }
      }
    }
    List<int[]> groups = new ArrayList<>();
    for (int end = n; end > 0; end = start[end]) {
      groups.add(0, Arrays.copyOfRange(byLength, start[end], end));
    }
    return groups;
  }
}
