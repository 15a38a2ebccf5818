package io.inferbus.verticles.worker;

import io.inferbus.inference.seq2seq.Sequence;
import io.inferbus.inference.seq2seq.TextAssembly;
import io.inferbus.inference.seq2seq.TextPieces;
import io.inferbus.verticles.jobs.JobRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A generative job on this worker: each input cut into pieces, each piece a sequence on a lane, and
 * each input's text put together as its pieces write. The queue hands out {@link #items}, the pieces
 * that still have to run.
 */
final class GeneratingJob extends HeldJob {
  /** One piece to run: which input and which of its pieces. */
  record PieceRef(GeneratingJob job, int input, int piece) {}

  final List<TextAssembly> inputs = new ArrayList<>();
  final List<PieceRef> items = new ArrayList<>();
  /** Created on lane threads, cancelled from the event loop. */
  final List<Sequence> sequences = Collections.synchronizedList(new ArrayList<>());
  private final StringBuilder[] pending;
  private final boolean[] touched;
  private final boolean[] lengthLimited;
  private final int[] piecesLeft;
  int inputsDone;
  int generatedTokens;
  long startedNanos;
  boolean firstTextSeen;
  /** When the job's text was last reported; 0: never, so the first text goes out at once. */
  long reportedNanos;

  GeneratingJob(JobRequest request, int attempt, int pieceTokens, long takenAt) {
    super(request, attempt, takenAt);
    int n = request.inputs().size();
    pending = new StringBuilder[n];
    touched = new boolean[n];
    lengthLimited = new boolean[n];
    piecesLeft = new int[n];
    for (int i = 0; i < n; i++) {
      inputs.add(new TextAssembly(TextPieces.split(request.inputs().get(i), pieceTokens)));
      pending[i] = new StringBuilder();
    }
  }

  /**
   * Continues input {@code index} from what an earlier attempt showed: its finished pieces are not
   * run again, and the piece it was writing replays its text first.
   */
  void resume(int index, String shownText, List<Integer> finishedLengths, int pieceTokens) {
    inputs.set(index, TextAssembly.resume(TextPieces.split(request.inputs().get(index), pieceTokens), shownText, finishedLengths));
  }

  /** Lists the pieces that still have to run; inputs with none are done already. */
  void listItems() {
    items.clear();
    inputsDone = 0;
    for (int i = 0; i < inputs.size(); i++) {
      TextAssembly assembly = inputs.get(i);
      piecesLeft[i] = 0;
      for (int p = 0; p < assembly.size(); p++) {
        if (!assembly.finished(p)) {
          items.add(new PieceRef(this, i, p));
          piecesLeft[i]++;
        }
      }
      if (piecesLeft[i] == 0) {
        inputsDone++;
      }
    }
  }

  /** A piece wrote {@code delta}; the input's newly visible text waits in {@link #progress} until flushed. */
  void wrote(PieceRef ref, String delta, Sequence sequence, boolean finished) {
    String news = inputs.get(ref.input()).append(ref.piece(), delta, finished);
    pending[ref.input()].append(news);
    touched[ref.input()] |= !news.isEmpty() || finished;
    if (finished) {
      generatedTokens += sequence.generated();
      lengthLimited[ref.input()] |= sequence.finishReason() == Sequence.Finish.LENGTH;
      if (--piecesLeft[ref.input()] == 0) {
        inputsDone++;
      }
    }
  }

  boolean complete() {
    return inputsDone == inputs.size();
  }

  /** One progress event per input with news since the last call, in input order. */
  List<JsonObject> progress() {
    List<JsonObject> events = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      if (!touched[i]) {
        continue;
      }
      TextAssembly assembly = inputs.get(i);
      events.add(new JsonObject()
          .put("index", i)
          .put("delta", pending[i].toString())
          .put("text", assembly.text())
          .put("done", inputsDone)
          .put("total", inputs.size())
          .put("pieces", new JsonArray(new ArrayList<>(assembly.finishedLengths()))));
      pending[i].setLength(0);
      touched[i] = false;
    }
    return events;
  }

  JsonObject result(int inputTokens) {
    JsonArray texts = new JsonArray();
    JsonArray reasons = new JsonArray();
    for (int i = 0; i < inputs.size(); i++) {
      texts.add(inputs.get(i).text());
      reasons.add(lengthLimited[i] ? Sequence.Finish.LENGTH.wireName() : Sequence.Finish.EOS.wireName());
    }
    return new JsonObject()
        .put("texts", texts)
        .put("input_tokens", inputTokens)
        .put("generated_tokens", generatedTokens)
        .put("finish_reasons", reasons);
  }
}
