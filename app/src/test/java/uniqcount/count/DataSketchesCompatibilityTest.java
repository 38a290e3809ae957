package uniqcount.count;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;
import org.junit.jupiter.api.Test;
import uniqcount.frame.UidHash;

/**
 * Our {@code hll} counters against Apache DataSketches as the independent reference: for the same
 * uids, the image we publish heapifies to a sketch in the same form as DataSketches' own
 * {@code HllSketch(P, HLL_8)}, with the same coupons or registers and the same estimate; unions
 * agree too; and our window's estimate is DataSketches' estimate of our registers.
 */
class DataSketchesCompatibilityTest {

  private static List<String> random(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<String> uids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      uids.add(Long.toHexString(r.nextLong()) + (i % 3 == 0 ? "-ü" : ""));
    }
    return uids;
  }

  /** Uids that differ in one character at the end, repeat, mix scripts, or are long. */
  private static List<String> adversarial(int n) {
    List<String> uids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String base = switch (i % 4) {
        case 0 -> String.format("user-%09d", i);
        case 1 -> "用户" + i + "🙂";
        case 2 -> "x".repeat(40 + i % 50) + i;
        default -> Integer.toString(i);
      };
      uids.add(base);
      if (i % 5 == 0) {
        uids.add(base); // a repeat changes nothing
      }
    }
    return uids;
  }

  private static DistinctCounter ours(int lgK, List<String> uids) {
    DistinctCounter c = CounterSpec.hll(lgK).newCounter();
    for (String u : uids) {
      byte[] b = u.getBytes(StandardCharsets.UTF_8);
      c = c.add(UidHash.sketchHash(b, 0, b.length));
    }
    return c;
  }

  private static HllSketch theirs(int lgK, List<String> uids) {
    HllSketch s = new HllSketch(lgK, TgtHllType.HLL_8);
    uids.forEach(s::update);
    return s;
  }

  private static int mode(byte[] image) {
    return image[7] & 3;
  }

  /** The coupons (LIST, SET) or registers (HLL) of a compact HLL_8 image, comparable. */
  private static int[] content(byte[] image) {
    ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    switch (mode(image)) {
      case 0 -> {
        int[] c = new int[image[6] & 0xFF];
        for (int i = 0; i < c.length; i++) {
          c[i] = b.getInt(8 + 4 * i);
        }
        Arrays.sort(c);
        return c;
      }
      case 1 -> {
        int[] c = new int[b.getInt(8)];
        for (int i = 0; i < c.length; i++) {
          c[i] = b.getInt(12 + 4 * i);
        }
        Arrays.sort(c);
        return c;
      }
      default -> {
        int[] r = new int[image.length - 40];
        for (int i = 0; i < r.length; i++) {
          r[i] = image[40 + i];
        }
        return r;
      }
    }
  }

  private static void check(String what, int lgK, DistinctCounter counter, HllSketch own) {
    byte[] published = SketchImage.of(counter.image());
    assertEquals(null, SketchImage.problem(published), what);
    HllSketch mine = HllSketch.heapify(published);
    if (mode(published) != 1) {
      // byte for byte what DataSketches writes for it (a compact SET's order is its own), so that
      // readers that take the preamble as it is (datasketches-cpp, Python) read the same sketch
      assertArrayEquals(mine.toCompactByteArray(), published, what + ": DataSketches' own bytes");
    }
    byte[] ownImage = own.toCompactByteArray();
    byte[] mineImage = mine.toCompactByteArray();
    assertEquals(mode(ownImage), mode(mineImage), what + ": the same form (0 list, 1 set, 2 hll)");
    assertArrayEquals(content(ownImage), content(mineImage), what + ": the same coupons or registers");
    assertEquals(lgK, mine.getLgConfigK(), what);
    if (mode(ownImage) == 2) {
      // ours is a union of partitions, read out of order: DataSketches' estimate of the same registers
      assertEquals(own.getCompositeEstimate(), mine.getEstimate(), what + ": the estimate");
      assertEquals(Math.round(mine.getEstimate()), counter.estimate(), what + ": our estimate is DataSketches'");
    } else {
      assertEquals(own.getEstimate(), mine.getEstimate(), what + ": the estimate");
    }
  }

  @Test
  void ourImagesAreDataSketchesOwnForRandomAndAdversarialSets() {
    for (int lgK : new int[] {7, 12, 14}) {
      int limit = SketchImage.couponLimit(lgK);
      for (int n : new int[] {0, 1, 7, 8, 1024, 1025, limit, limit + 1, 20_000}) {
        List<String> r = random(n, lgK * 1000L + n);
        check("random n=" + n + " lgK=" + lgK, lgK, ours(lgK, r), theirs(lgK, r));
        List<String> a = adversarial(n);
        check("adversarial n=" + n + " lgK=" + lgK, lgK, ours(lgK, a), theirs(lgK, a));
      }
    }
  }

  @Test
  void aMillionUids() {
    List<String> r = random(1_000_000, 77);
    check("random n=10^6 lgK=14", 14, ours(14, r), theirs(14, r));
  }

  @Test
  void unionsAgreeWithDataSketchesUnions() {
    for (int lgK : new int[] {10, 14}) {
      for (int n : new int[] {5, 300, 5_000, 100_000}) {
        List<String> uids = random(n, n + lgK);
        DistinctCounter a = ours(lgK, uids.subList(0, n / 3));
        DistinctCounter b = ours(lgK, uids.subList(n / 3, 2 * n / 3));
        DistinctCounter c = ours(lgK, uids.subList(n / 4, n)); // overlaps both
        DistinctCounter merged = a.copy().merge(b).merge(c);
        Union union = new Union(lgK);
        union.update(theirs(lgK, uids.subList(0, n / 3)));
        union.update(theirs(lgK, uids.subList(n / 3, 2 * n / 3)));
        union.update(theirs(lgK, uids.subList(n / 4, n)));
        HllSketch result = union.getResult(TgtHllType.HLL_8);
        HllSketch mine = HllSketch.heapify(SketchImage.of(merged.image()));
        assertArrayEquals(content(result.toCompactByteArray()), content(mine.toCompactByteArray()), "n=" + n);
        assertEquals(result.getEstimate(), mine.getEstimate(), "n=" + n + " lgK=" + lgK);
        // and DataSketches' union of our three published images is our merged window
        Union ofOurs = new Union(lgK);
        for (DistinctCounter part : new DistinctCounter[] {a, b, c}) {
          ofOurs.update(HllSketch.heapify(SketchImage.of(part.image())));
        }
        assertArrayEquals(content(result.toCompactByteArray()), content(ofOurs.getResult(TgtHllType.HLL_8)
            .toCompactByteArray()), "n=" + n);
      }
    }
  }
}
