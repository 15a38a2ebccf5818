package io.inferbus.verticles.worker;

import io.inferbus.verticles.jobs.JobRecord;
import io.inferbus.verticles.jobs.JobRequest;
import io.vertx.core.Future;
import java.util.Optional;

/** A job this worker took: its outputs fill in as its batches finish, in any order. */
final class RunningJob {
  final JobRequest request;
  final int attempt;
  final Object[] outputs;
  final long takenAt = System.currentTimeMillis();
  int done;
  int tokens;
  boolean started;
  boolean stopped;
  /** Journal writes of one job are chained so its events keep their order with any store. */
  Future<Optional<JobRecord>> journalTail = Future.succeededFuture(Optional.empty());

  RunningJob(JobRequest request, int attempt) {
    this.request = request;
    this.attempt = attempt;
    this.outputs = new Object[request.inputs().size()];
  }

  String id() {
    return request.id();
  }

  int total() {
    return outputs.length;
  }

  void accept(int from, BatchOutput output, int offset, int count) {
    System.arraycopy(output.outputs(), offset, outputs, from, count);
    for (int i = offset; i < offset + count; i++) {
      tokens += output.tokens()[i];
    }
    done += count;
  }

  boolean complete() {
    return done == total();
  }
}
