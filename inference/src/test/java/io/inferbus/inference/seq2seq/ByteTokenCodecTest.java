package io.inferbus.inference.seq2seq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ByteTokenCodecTest {
  private final ByteTokenCodec codec = new ByteTokenCodec(1, false);

  @Test
  void tokensAreBytesPlusThreeAndT5InputsEndWithEos() {
    assertArrayEquals(new int[] {'a' + 3, 0xd0 + 3, 0xb0 + 3}, codec.encode("aа"));
    assertArrayEquals(new int[] {'a' + 3, 1}, new ByteTokenCodec(1, true).encode("a"));
  }

  @Test
  void deltasAreWholeCharactersNeverHalfOfOne() {
    String text = "Привет, 😀 ё!";
    TokenCodec.TextDecoder decoder = codec.newDecoder();
    List<String> deltas = new ArrayList<>();
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      deltas.add(decoder.push((b & 0xff) + 3));
    }
    deltas.add(decoder.finish());
    assertEquals(text, String.join("", deltas));
    for (String delta : deltas) {
      assertTrue(delta.isEmpty() || delta.codePointCount(0, delta.length()) == 1, "one whole character at most: '" + delta + "'");
      assertTrue(delta.chars().noneMatch(c -> c == 0xfffd));
    }
    assertEquals(List.of("", "П", "", "р"), deltas.subList(0, 4), "a two-byte letter shows once both bytes are in");
  }

  @Test
  void specialTokensWriteNothingAndABrokenTailEndsAsAReplacementCharacter() {
    TokenCodec.TextDecoder decoder = codec.newDecoder();
    assertEquals("", decoder.push(0));
    assertEquals("", decoder.push(2));
    assertEquals("", decoder.push(0xd0 + 3));
    assertEquals("\ufffd", decoder.finish());
  }
}
