package io.inferbus.inference.seq2seq;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cuts a text into pieces a sequence model can take: at most {@code maxBytes} UTF-8 bytes each,
 * cut at sentence ends first, then between words, and inside a word only when one word alone is
 * too long. Words are joined into a piece only across a single space; a line break or a run of
 * spaces always ends a piece. Joining each piece's output with the piece's separator rebuilds the
 * text's layout. The training script cuts its examples the same way (romanize.py, pieces()).
 */
public final class TextPieces {
  /** @param separator the whitespace that followed the piece in the input, kept as it was */
  public record Piece(String text, String separator) {}

  private static final Pattern WORD = Pattern.compile("(\\S+)(\\s*)", Pattern.UNICODE_CHARACTER_CLASS);
  private static final Pattern LEADING = Pattern.compile("^\\s+", Pattern.UNICODE_CHARACTER_CLASS);

  private TextPieces() {}

  public static List<Piece> split(String text, int maxBytes) {
    List<Piece> pieces = new ArrayList<>();
    Matcher leading = LEADING.matcher(text);
    if (leading.find()) {
      pieces.add(new Piece("", leading.group()));
    }
    Matcher m = WORD.matcher(text);
    while (m.find()) {
      String word = m.group(1);
      String space = m.group(2);
      if (!pieces.isEmpty()) {
        Piece last = pieces.get(pieces.size() - 1);
        if (!last.text().isEmpty() && last.separator().equals(" ") && !endsSentence(last.text())
            && bytes(last.text() + " " + word) <= maxBytes) {
          pieces.set(pieces.size() - 1, new Piece(last.text() + " " + word, space));
          continue;
        }
      }
      while (bytes(word) > maxBytes) {
        int cut = cut(word, maxBytes);
        pieces.add(new Piece(word.substring(0, cut), ""));
        word = word.substring(cut);
      }
      pieces.add(new Piece(word, space));
    }
    return pieces;
  }

  private static boolean endsSentence(String piece) {
    char last = piece.charAt(piece.length() - 1);
    return last == '.' || last == '!' || last == '?' || last == '…';
  }

  private static int bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  /** The longest prefix within maxBytes, whole code points only (at least one). */
  private static int cut(String word, int maxBytes) {
    int used = 0;
    int i = 0;
    while (i < word.length()) {
      int cp = word.codePointAt(i);
      int size = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
      if (used + size > maxBytes) {
        break;
      }
      used += size;
      i += Character.charCount(cp);
    }
    return Math.max(i, Character.charCount(word.codePointAt(0)));
  }
}
