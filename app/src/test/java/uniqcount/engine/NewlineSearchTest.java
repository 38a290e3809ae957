package uniqcount.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@code Worker.indexOfNewline} (SWAR, 32 and 8 bytes a step) against a byte-by-byte search. */
class NewlineSearchTest {
  private static int naive(byte[] b, int from, int end) {
    for (int i = from; i < end; i++) {
      if (b[i] == '\n') {
        return i;
      }
    }
    return end;
  }

  @Test
  void findsTheFirstNewlineAtEveryPositionOffsetAndLength() {
    SplittableRandom random = new SplittableRandom(17);
    byte[] b = new byte[160];
    for (int trial = 0; trial < 400; trial++) {
      for (int i = 0; i < b.length; i++) {
        // every byte value but '\n', with the ones SWAR can confuse nearby: 0x0b, 0x09, 0x8a, 0x00, 0x01, 0xff
        int v = random.nextInt(6) == 0 ? new int[] {0x0b, 0x09, 0x8a, 0x00, 0x01, 0xff}[random.nextInt(6)] : random.nextInt(256);
        b[i] = (byte) (v == '\n' ? 'x' : v);
      }
      int newlines = random.nextInt(4); // none, or up to three, anywhere
      for (int n = 0; n < newlines; n++) {
        b[random.nextInt(b.length)] = '\n';
      }
      for (int from = 0; from < 40; from++) {
        for (int end = from; end <= b.length; end++) {
          int f = from;
          int e = end;
          int t = trial;
          assertEquals(naive(b, from, end), Worker.indexOfNewline(b, from, end), () -> "trial " + t + " from " + f + " end " + e);
        }
      }
    }
  }
}
