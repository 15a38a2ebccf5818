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
  void aBusyLaneWaitsForAGroupOrForThreeTurns() {
    AdmissionPolicy policy = new AdmissionPolicy();
    assertTrue(policy.admitNow(40, 64, 10), "a quarter as many waiting as running");
    policy.admitted();
    assertFalse(policy.admitNow(40, 64, 1));
    assertFalse(policy.admitNow(40, 64, 1));
    assertFalse(policy.admitNow(40, 64, 1));
    assertTrue(policy.admitNow(40, 64, 1), "no sequence waits more than three turns");
  }

  @Test
  void aFullLaneAdmitsNobody() {
    assertFalse(new AdmissionPolicy().admitNow(64, 64, 100));
  }
}
