package io.inferbus.inference.seq2seq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.inferbus.inference.seq2seq.TextPieces.Piece;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cuts must be those the training script made (romanize.py pieces(); its outputs for these texts are copied here). */
class TextPiecesTest {
  private static List<Piece> cut(String text) {
    return TextPieces.split(text, 24);
  }

  private static Piece p(String text, String separator) {
    return new Piece(text, separator);
  }

  @Test
  void cutsAtSentenceEndsThenBetweenWordsAsTheTrainingScriptDid() {
    assertEquals(List.of(p("Privet, kak dela?", " "), p("Eto ochen dlinnoe", " "), p("predlozhenie, kotoroe", " "),
        p("nado razrezat na chasti.", " "), p("Konec", "")),
        cut("Privet, kak dela? Eto ochen dlinnoe predlozhenie, kotoroe nado razrezat na chasti. Konec"));
    assertEquals(List.of(p("Привет, мир!", " "), p("Как дела?", "")), cut("Привет, мир! Как дела?"));
    assertEquals(List.of(p("Vot...", " "), p("i vse!", "")), cut("Vot... i vse!"));
  }

  @Test
  void keepsLayoutAndJoinsOnlyAcrossSingleSpaces() {
    assertEquals(List.of(p("", "  "), p("leading spaces and", "  "), p("two spaces", "\n"), p("and a line", "")),
        cut("  leading spaces and  two spaces\nand a line"));
    assertEquals(List.of(p("no", "\u00a0"), p("break space", "")), cut("no\u00a0break space"));
    assertEquals(List.of(), cut(""));
  }

  @Test
  void cutsInsideAWordOnlyWhenItIsTooLongAndNeverInsideACharacter() {
    assertEquals(List.of(p("Sverhdlinnoeslovobezprob", ""), p("elovkotoroeneumeschaetsj", ""), p("a v odin kusok", "")),
        cut("Sverhdlinnoeslovobezprobelovkotoroeneumeschaetsja v odin kusok"));
    List<Piece> emoji = cut("emoji 😀😀😀😀😀😀😀 here");
    assertEquals(List.of(p("emoji", " "), p("😀😀😀😀😀😀", ""), p("😀 here", "")), emoji);
    for (Piece piece : emoji) {
      assertTrue(piece.text().getBytes(StandardCharsets.UTF_8).length <= 24);
    }
  }
}
