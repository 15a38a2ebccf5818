package io.inferbus.inference.seq2seq;

/**
 * When waiting sequences join a running lane. Each joining runs the encoder and a first decoder step
 * apart from the running batches, which costs about as much for one sequence as for several, so
 * sequences join in groups: at once when the lane is idle, once half as many are waiting as are
 * running, or after they have waited eight turns (a few tens of milliseconds), whichever comes first.
 */
final class AdmissionPolicy {
  static final int MAX_TURNS_WAITED = 8;

  private int turnsWaited;

  boolean admitNow(int live, int maxActive, int waiting) {
    if (waiting == 0 || live >= maxActive) {
      turnsWaited = 0;
      return false;
    }
    if (live == 0 || waiting * 2 >= live || turnsWaited >= MAX_TURNS_WAITED) {
      return true;
    }
    turnsWaited++;
    return false;
  }

  void admitted() {
    turnsWaited = 0;
  }
}
