package io.inferbus.verticles.worker;

import io.inferbus.verticles.jobs.JobJournal;
import io.inferbus.verticles.jobs.JobRecord;
import io.inferbus.verticles.jobs.JobRequest;
import io.vertx.core.Future;
import java.util.Optional;

/** A job a worker took, under one attempt; what it computes is the subclass's. */
class HeldJob {
  final JobRequest request;
  final int attempt;
  final long takenAt;
  boolean started;
  /** Read by generation lanes on their own threads. */
  volatile boolean stopped;
  /** This attempt's start until it is written with the job's next change; null before the start and after. */
  JobJournal.Start unwrittenStart;
  /** The timer that writes the start alone when no change follows soon; -1 when none is set. */
  long startAloneTimer = -1;
  /** Journal writes of one job are chained so its events keep their order with any store. */
  Future<Optional<JobRecord>> journalTail = Future.succeededFuture(Optional.empty());

  HeldJob(JobRequest request, int attempt, long takenAt) {
    this.request = request;
    this.attempt = attempt;
    this.takenAt = takenAt;
  }

  final String id() {
    return request.id();
  }
}
