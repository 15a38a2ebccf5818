package io.inferbus.verticles.worker;

import io.inferbus.verticles.jobs.JobRequest;

/** A job of a batch model (embeddings, noop): its outputs fill in as its batches finish, in any order. */
final class RunningJob extends HeldJob {
  final Object[] outputs;
  int done;
  int tokens;

  RunningJob(JobRequest request, int attempt, long takenAt) {
    super(request, attempt, takenAt);
    this.outputs = new Object[request.inputs().size()];
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
