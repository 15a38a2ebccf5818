package io.inferbus.verticles.worker;

import io.inferbus.verticles.jobs.JobRecord;
import io.inferbus.verticles.jobs.JobRequest;
import io.vertx.core.Future;
import java.util.Optional;

/** A job a worker took, under one attempt; what it computes is the subclass's. */
class HeldJob {
  final JobRequest request;
  final int attempt;
  final long takenAt = System.currentTimeMillis();
  boolean started;
  /** Read by generation lanes on their own threads. */
  volatile boolean stopped;
  /** Journal writes of one job are chained so its events keep their order with any store. */
  Future<Optional<JobRecord>> journalTail = Future.succeededFuture(Optional.empty());

  HeldJob(JobRequest request, int attempt) {
    this.request = request;
    this.attempt = attempt;
  }

  final String id() {
    return request.id();
  }
}
