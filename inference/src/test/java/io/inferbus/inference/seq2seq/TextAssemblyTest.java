package io.inferbus.inference.seq2seq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextAssemblyTest {
  private final List<TextPieces.Piece> pieces = TextPieces.split("  privet, kak dela? Eto ochen dlinnoe", 24);

  @Test
  void aLaterPieceIsShownOnlyOnceTheOnesBeforeItAreDone() {
    TextAssembly text = new TextAssembly(pieces);
    assertEquals(3, pieces.size(), pieces.toString());
    assertEquals("  ", text.append(2, "Это очень", false), "piece 2 waits for piece 1; the leading whitespace needs no run");
    assertEquals("прив", text.append(1, "прив", false));
    assertEquals("ет, как дела? Это очень", text.append(1, "ет, как дела?", true));
    assertEquals(" длинное", text.append(2, " длинное", true));
    assertTrue(text.complete());
    assertEquals("  привет, как дела? Это очень длинное", text.text());
    assertEquals(List.of(17, 17), text.finishedLengths());
  }

  @Test
  void aResumedInputSkipsFinishedPiecesReplaysThePartialOneAndShowsNothingTwice() {
    TextAssembly before = new TextAssembly(pieces);
    before.append(1, "привет, как дела?", true);
    before.append(2, "Это оч", false);
    TextAssembly resumed = TextAssembly.resume(pieces, before.text(), before.finishedLengths());
    assertTrue(resumed.finished(1));
    assertFalse(resumed.finished(2));
    assertEquals("Это оч", resumed.replay(2));
    assertEquals(before.text(), resumed.text());
    assertEquals("", resumed.append(2, "Это оч", false), "replayed text is not shown again");
    assertEquals("ень", resumed.append(2, "ень", false));
    assertEquals(" длинное", resumed.append(2, " длинное", true));
    assertEquals("  привет, как дела? Это очень длинное", resumed.text());
  }
}
