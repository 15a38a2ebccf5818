package io.inferbus.inference.seq2seq;

import io.inferbus.inference.seq2seq.TextPieces.Piece;
import java.util.ArrayList;
import java.util.List;

/**
 * One input's output, put together from its pieces, which are generated side by side: the text a
 * client sees is every finished piece (each followed by its separator) and then the piece being
 * written, so it only ever grows, in order, even when a later piece finishes first.
 *
 * <p>Built again after a lost worker from what was already shown, so the new run continues where
 * the text stood: finished pieces are not run again, and the piece being written replays its text.
 */
public final class TextAssembly {
  private final List<Piece> pieces;
  private final StringBuilder[] outputs;
  private final boolean[] finished;
  private final String[] replays;
  private String shown = "";

  public TextAssembly(List<Piece> pieces) {
    this.pieces = List.copyOf(pieces);
    this.outputs = new StringBuilder[pieces.size()];
    this.finished = new boolean[pieces.size()];
    this.replays = new String[pieces.size()];
    for (int i = 0; i < outputs.length; i++) {
      outputs[i] = new StringBuilder();
      finished[i] = pieces.get(i).text().isEmpty();
      replays[i] = "";
    }
  }

  /**
   * Continues from a text already shown, whose first pieces' outputs had the given lengths; the
   * rest of the shown text belongs to the next piece, which is then still being written.
   */
  public static TextAssembly resume(List<Piece> pieces, String shownText, List<Integer> finishedLengths) {
    TextAssembly assembly = new TextAssembly(pieces);
    int offset = 0;
    int piece = 0;
    for (int length : finishedLengths) {
      while (piece < pieces.size() && pieces.get(piece).text().isEmpty()) {
        offset += pieces.get(piece).separator().length();
        piece++;
      }
      if (piece >= pieces.size() || offset + length > shownText.length()) {
        return new TextAssembly(pieces);
      }
      assembly.outputs[piece].append(shownText, offset, offset + length);
      assembly.finished[piece] = true;
      offset += length + pieces.get(piece).separator().length();
      piece++;
    }
    while (piece < pieces.size() && pieces.get(piece).text().isEmpty()) {
      offset += pieces.get(piece).separator().length();
      piece++;
    }
    if (offset < shownText.length() && piece < pieces.size()) {
      assembly.replays[piece] = shownText.substring(offset);
    }
    assembly.shown = shownText;
    return assembly;
  }

  public int size() {
    return pieces.size();
  }

  public Piece piece(int index) {
    return pieces.get(index);
  }

  public boolean finished(int piece) {
    return finished[piece];
  }

  /**
   * What a piece had written and shown under a lost worker: its new run writes it again first
   * (nothing of it is shown twice), then goes on.
   */
  public String replay(int piece) {
    return replays[piece];
  }

  /** Adds text a piece wrote; returns what becomes newly visible (possibly nothing). */
  public String append(int piece, String delta, boolean pieceFinished) {
    outputs[piece].append(delta);
    finished[piece] |= pieceFinished;
    String visible = visible();
    if (visible.length() <= shown.length()) {
      return "";
    }
    String news = visible.substring(shown.length());
    shown = visible;
    return news;
  }

  public boolean complete() {
    for (boolean f : finished) {
      if (!f) {
        return false;
      }
    }
    return true;
  }

  /** The text shown so far. */
  public String text() {
    return shown;
  }

  /** Output lengths of the pieces that are finished and shown, in order: what a resumed run needs. */
  public List<Integer> finishedLengths() {
    List<Integer> lengths = new ArrayList<>();
    for (int i = 0; i < pieces.size() && finished[i]; i++) {
      if (!pieces.get(i).text().isEmpty()) {
        lengths.add(outputs[i].length());
      }
    }
    return lengths;
  }

  private String visible() {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < pieces.size(); i++) {
      text.append(outputs[i]);
      if (!finished[i]) {
        break;
      }
      text.append(pieces.get(i).separator());
    }
    return text.toString();
  }
}
