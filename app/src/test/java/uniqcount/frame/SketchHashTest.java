package uniqcount.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.apache.datasketches.hash.MurmurHash3;
import org.junit.jupiter.api.Test;

/** {@link UidHash#sketchHash} against Apache DataSketches' own MurmurHash3 and coupon rule. */
class SketchHashTest {

  /** What DataSketches' HllSketch.update(byte[]) derives: slot bits of h0, value from h1. */
  private static long reference(byte[] bytes, int offset, int length) {
    byte[] exact = java.util.Arrays.copyOfRange(bytes, offset, offset + length);
    long[] h = MurmurHash3.hash(exact, UidHash.SKETCH_SEED);
    int lz = Long.numberOfLeadingZeros(h[1]);
    long value = (lz > 62 ? 62 : lz) + 1;
    return (h[0] & UidHash.SLOT_MASK) | (value << UidHash.SLOT_BITS);
  }

  @Test
  void everyLengthAndOffsetHashesAsDataSketchesDoes() {
    SplittableRandom r = new SplittableRandom(5);
    for (int length = 1; length <= 70; length++) { // DataSketches refuses to hash nothing (its sketches skip an empty uid)
      for (int trial = 0; trial < 200; trial++) {
        byte[] bytes = new byte[length + 9];
        r.nextBytes(bytes);
        int offset = r.nextInt(10);
        int n = Math.min(length, bytes.length - offset);
        assertEquals(reference(bytes, offset, n), UidHash.sketchHash(bytes, offset, n), "length " + n + " offset " + offset);
      }
    }
  }

  @Test
  void uidsAsTheGeneratorWritesThemAndUnicode() {
    for (String uid : new String[] {"u1", "user-000042", "Zoë", "用户🙂", "a".repeat(100), "\u0000"}) {
      byte[] b = uid.getBytes(StandardCharsets.UTF_8);
      assertEquals(reference(b, 0, b.length), UidHash.sketchHash(b, 0, b.length), uid);
      long[] h = MurmurHash3.hash(b, UidHash.SKETCH_SEED);
      int coupon = (int) (h[0] & ((1 << 26) - 1)) | (Math.min(Long.numberOfLeadingZeros(h[1]), 62) + 1) << 26;
      assertEquals(coupon, UidHash.coupon(UidHash.sketchHash(b, 0, b.length)));
    }
  }
}
