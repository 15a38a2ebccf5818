package io.inferbus.inference.seq2seq;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AdmissionPolicyTest {
  @Test
  void anIdleLaneTakesAnyWaitingSequenceAtOnce() {
    AdmissionPolicy policy = new AdmissionPolicy();
    assertTrue(policy.admitNow(0, 64, 1));
    assertFalse(policy.admitNow(0, 64, 0));
  }

  @Test
  void aBusyLaneWaitsForAGroupOrForEightTurns() {
    AdmissionPolicy policy = new AdmissionPolicy();
    assertTrue(policy.admitNow(40, 64, 20), "half as many waiting as running");
    policy.admitted();
    for (int turn = 0; turn < AdmissionPolicy.MAX_TURNS_WAITED; turn++) {
      assertFalse(policy.admitNow(40, 64, 1));
    }
    assertTrue(policy.admitNow(40, 64, 1), "no sequence waits more than eight turns");
  }

  @Test
  void aFullLaneAdmitsNobody() {
    assertFalse(new AdmissionPolicy().admitNow(64, 64, 100));
  }
}
