package uniqcount.frame;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import uniqcount.gen.ByteBuffer;
import uniqcount.gen.FrameGenerator;
import uniqcount.gen.GeneratorOptions;

/** The fast pass (both block scanners) against the exact pass, and input trusted. */
class FastPassTest {
  private final FrameDecoder exact = new FrameDecoder("uid", "ts", 1 << 20, null, false);
  private final FrameDecoder swar = fast(BlockScanner.Choice.SWAR, false);
  private final FrameDecoder vector = fast(BlockScanner.Choice.VECTOR, false);

  private static FrameDecoder fast(BlockScanner.Choice choice, boolean trust) {
    return new FrameDecoder("uid", "ts", 1 << 20, BlockScanner.choose(choice), trust);
  }

  /** Strings made of what makes string scanning hard, across 64-byte block edges. */
  @Test
  void sameResultsAsTheExactPassOnHostileStrings() {
    String[] pieces = {"\\\\", "\\\"", "00", "e9", "D8", "3d", "u", "a", "n", "/", " ", "\u00e9", "\u20ac", "\\n",
        "\\u00e9", "\\ud83d\\ude00", "\\uD800", "\\/", "}", "]", ",", "\\\\\\\\\\\\", "\\\\\\\"", "\\\\\\\\\\\""};
    String[] faults = {"\\", "\"", "\\u", "\\u12", "\\x", "\t", "\u0001", "\n"};
    SplittableRandom r = new SplittableRandom(11);
    int accepted = 0;
    int rejected = 0;
    for (int n = 0; n < 60_000; n++) {
      StringBuilder f = new StringBuilder("{");
      f.append("\"p\":\"").append("x".repeat(r.nextInt(70))).append("\",");
      f.append("\"a\":\"").append(hostile(r, pieces, faults)).append("\",");
      f.append("\"uid\":\"").append(hostile(r, pieces, faults)).append("\",");
      f.append("\"b\":[\"").append(hostile(r, pieces, faults)).append("\",{\"ts\":\"").append(hostile(r, pieces, faults))
          .append("\"}],");
      f.append("\"ts\":").append(r.nextInt(2_000_000_000)).append(',');
      f.append("\"c\":\"").append(hostile(r, pieces, faults)).append("\"}");
      byte[] frame = f.toString().getBytes(StandardCharsets.UTF_8);
      int cut = r.nextInt(8) == 0 ? r.nextInt(frame.length + 1) : frame.length;
      int before = r.nextInt(80);
      int after = r.nextInt(3) == 0 ? 0 : r.nextInt(100); // 0: the frame ends the array (the tail block is copied)
      byte[] buf = new byte[before + cut + after];
      for (int i = 0; i < buf.length; i++) {
        buf[i] = (byte) "\\\"x{".charAt(r.nextInt(4));
      }
      System.arraycopy(frame, 0, buf, before, cut);
      boolean ok = exact.decode(buf, before, cut);
      if (ok) {
        accepted++;
      } else {
        rejected++;
      }
      assertSame(buf, before, cut, swar);
      assertSame(buf, before, cut, vector);
    }
    assertTrue(accepted > 10_000 && rejected > 10_000, accepted + " accepted, " + rejected + " rejected");
  }

  /** A string body of valid pieces, with a fault (a lone quote or backslash, a bad escape, a control) now and then. */
  private static String hostile(SplittableRandom r, String[] pieces, String[] faults) {
    StringBuilder s = new StringBuilder();
    int n = r.nextInt(r.nextInt(4) == 0 ? 120 : 12);
    for (int i = 0; i < n; i++) {
      s.append(r.nextInt(150) == 0 ? faults[r.nextInt(faults.length)] : pieces[r.nextInt(pieces.length)]);
    }
    return s.toString();
  }

  private void assertSame(byte[] b, int off, int len, FrameDecoder fast) {
    String frame = new String(b, off, len, StandardCharsets.UTF_8);
    boolean ok = fast.decode(b, off, len);
    assertEquals(exact.reject(), fast.reject(), frame);
    if (ok) {
      assertEquals(exact.timestampSec(), fast.timestampSec(), frame);
      assertArrayEquals(exact.uid(), fast.uid(), frame);
      assertEquals(exact.uidHash(), fast.uidHash(), frame);
    }
  }

  /** The fast pass decides every accepted generated frame itself: only rejected frames fall back. */
  @Test
  void onlyRejectedFramesFallBackToTheExactPass() {
    for (FrameDecoder d : new FrameDecoder[] {swar, vector}) {
      GeneratorOptions o = FrameDecoderTest.allFaults(20_000, 3);
      FrameGenerator gen = new FrameGenerator(o);
      ByteBuffer buf = new ByteBuffer(1 << 16);
      long rejected = 0;
      while (gen.hasNext()) {
        buf.clear();
        int len = gen.next(buf) - 1;
        long before = d.fallbacks();
        if (d.decode(buf.array(), 0, len)) {
          assertEquals(before, d.fallbacks(), () -> new String(buf.array(), 0, len, StandardCharsets.UTF_8));
        } else {
          rejected++;
        }
      }
      assertTrue(d.fallbacks() > 0 && d.fallbacks() <= rejected, d.fallbacks() + " of " + rejected);
    }
  }

  @Test
  void trustedInputGivesTheSameFieldsOnValidFrames() {
    for (BlockScanner.Choice choice : new BlockScanner.Choice[] {BlockScanner.Choice.SWAR, BlockScanner.Choice.VECTOR}) {
      FrameDecoder trusting = fast(choice, true);
      GeneratorOptions o = FrameDecoderTest.allFaults(20_000, 4);
      o.badProb = 0;
      FrameGenerator gen = new FrameGenerator(o);
      ByteBuffer buf = new ByteBuffer(1 << 16);
      while (gen.hasNext()) {
        buf.clear();
        int len = gen.next(buf) - 1;
        boolean ok = exact.decode(buf.array(), 0, len);
        assertEquals(ok, trusting.decode(buf.array(), 0, len));
        assertEquals(exact.reject(), trusting.reject());
        if (ok) {
          assertEquals(exact.timestampSec(), trusting.timestampSec());
          assertEquals(exact.uidHash(), trusting.uidHash());
        }
      }
    }
  }

  /** What trusting the input gives up, as documented: nothing after both root fields is looked at. */
  @Test
  void trustedInputStopsAfterBothRootFields() {
    FrameDecoder trusting = fast(BlockScanner.Choice.SWAR, true);
    byte[] cut = "{\"uid\":\"a\",\"ts\":5,\"rest\":\"never clo".getBytes(StandardCharsets.UTF_8);
    assertFalse(exact.decode(cut, 0, cut.length));
    assertTrue(trusting.decode(cut, 0, cut.length));
    byte[] repeated = "{\"ts\":5,\"uid\":\"a\",\"uid\":\"b\"}".getBytes(StandardCharsets.UTF_8);
    assertTrue(trusting.decode(repeated, 0, repeated.length));
    assertArrayEquals("a".getBytes(StandardCharsets.UTF_8), trusting.uid());
    assertTrue(exact.decode(repeated, 0, repeated.length));
    assertArrayEquals("b".getBytes(StandardCharsets.UTF_8), exact.uid());
    byte[] missing = "{\"uid\":\"a\",\"x\":{\"ts\":5}}".getBytes(StandardCharsets.UTF_8);
    assertFalse(trusting.decode(missing, 0, missing.length));
    assertEquals(Reject.MISSING_TS, trusting.reject());
  }
}
