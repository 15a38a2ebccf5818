package io.inferbus.inference.seq2seq;

/**
 * When waiting sequences join a running batch. Joining rebuilds the batch's caches (a copy of every
 * row), so sequences join in groups: at once when the lane is idle, once a quarter as many are
 * waiting as are running, or after they have waited three turns, whichever comes first.
 */
final class AdmissionPolicy {
  static final int MAX_TURNS_WAITED = 3;

  private int turnsWaited;

  boolean admitNow(int live, int maxActive, int waiting) {
    if (waiting == 0 || live >= maxActive) {
      turnsWaited = 0;
      return false;
    }
    if (live == 0 || waiting * 4 >= live || turnsWaited >= MAX_TURNS_WAITED) {
      return true;
    }
    turnsWaited++;
    return false;
  }

  void admitted() {
    turnsWaited = 0;
  }
}
