package uniqcount.count;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import uniqcount.frame.UidHash;

class CounterTest {

  /** Hashes of "user-i" strings, the way uids reach the counters. */
  /** The hash the decoder gives an hll job (distinct enough for the exact set too). */
  private static long uidHash(long i) {
    byte[] b = ("user-" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return UidHash.sketchHash(b, 0, b.length);
  }

  @Test
  void exactCounterMatchesAHashSetWithDuplicatesAndZero() {
    SplittableRandom r = new SplittableRandom(1);
    DistinctCounter c = CounterSpec.exact().newCounter();
    Set<Long> reference = new HashSet<>();
    for (int i = 0; i < 300_000; i++) {
      long v = i % 1000 == 0 ? 0 : r.nextLong(200_000) * 0x9E3779B97F4A7C15L;
      c = c.add(v);
      reference.add(v);
    }
    assertEquals(reference.size(), c.estimate());
    assertEquals(0.0, c.relativeStandardError());
  }

  @Test
  void mergeIsAUnionForEveryCounter() {
    for (CounterSpec spec : new CounterSpec[] {CounterSpec.exact(), CounterSpec.hll(10), CounterSpec.hll(14)}) {
      for (int n : new int[] {10, 500, 5_000, 80_000}) {
        DistinctCounter whole = spec.newCounter();
        DistinctCounter a = spec.newCounter();
        DistinctCounter b = spec.newCounter();
        DistinctCounter c = spec.newCounter();
        for (int i = 0; i < n; i++) {
          long h = uidHash(i);
          whole = whole.add(h);
          if (i % 3 == 0) {
            a = a.add(h);
          } else if (i % 3 == 1) {
            b = b.add(h);
          } else {
            c = c.add(h);
          }
          if (i % 7 == 0) {
            b = b.add(h); // overlap
          }
        }
        DistinctCounter merged = c.copy().merge(a).merge(b);
        DistinctCounter other = a.copy().merge(b.copy().merge(c));
        assertEquals(whole.estimate(), merged.estimate(), spec + " n=" + n);
        assertEquals(whole.estimate(), other.estimate(), spec + " n=" + n);
        assertEquals(whole.relativeStandardError(), merged.relativeStandardError(), spec + " n=" + n);
      }
    }
  }

  @Test
  void copyIsIndependent() {
    DistinctCounter a = CounterSpec.hll(14).newCounter();
    for (int i = 0; i < 100; i++) {
      a = a.add(uidHash(i));
    }
    DistinctCounter b = a.copy();
    for (int i = 100; i < 5000; i++) {
      b = b.add(uidHash(i));
    }
    assertEquals(100, a.estimate());
  }

  @Test
  void hllIsExactWhileSmallThenUnbiasedWithinItsStandardErrorOverManySeeds() {
    int precision = 14;
    double rse = 1.04 / Math.sqrt(1 << precision);
    int limit = (1 << precision) / 16;
    int trials = 0;
    int beyondThree = 0;
    double sum = 0;
    double sumSquares = 0;
    for (int seed = 0; seed < 40; seed++) {
      SplittableRandom r = new SplittableRandom(seed);
      for (int n : new int[] {1_000, 3_000, 20_000, 100_000}) {
        DistinctCounter c = CounterSpec.hll(precision).newCounter();
        long salt = r.nextLong();
        for (int i = 0; i < n; i++) {
          c = c.add(uidHash(salt + i));
          if (r.nextInt(4) == 0) {
            c = c.add(uidHash(salt + i)); // repeats change nothing
          }
        }
        double err = (c.estimate() - n) / (double) n;
        if (n <= limit) {
          assertEquals(n, c.estimate());
          assertEquals(0.0, c.relativeStandardError());
          continue;
        }
        assertEquals(rse, c.relativeStandardError(), 1e-12);
        assertTrue(Math.abs(err) < 4 * rse, "seed " + seed + " n " + n + " error " + err);
        if (Math.abs(err) > 3 * rse) {
          beyondThree++;
        }
        sum += err;
        sumSquares += err * err;
        trials++;
      }
    }
    // A normal error exceeds 3 sigma 0.27% of the time: allow 1 in 100, never 4 sigma.
    assertTrue(beyondThree <= trials / 100 + 1, beyondThree + " of " + trials + " trials beyond 3 rse");
    double rms = Math.sqrt(sumSquares / trials);
    assertTrue(rms < 1.1 * rse, "RMS error " + rms + " vs rse " + rse);
    assertTrue(Math.abs(sum / trials) < rse / 3, "bias " + sum / trials);
  }

  @Test
  void everyPrecisionStaysWithinThreeStandardErrors() {
    for (int p = CounterSpec.MIN_PRECISION; p <= CounterSpec.MAX_PRECISION; p++) {
      double rse = 1.04 / Math.sqrt(1 << p);
      int bad = 0;
      for (int seed = 0; seed < 10; seed++) {
        DistinctCounter c = CounterSpec.hll(p).newCounter();
        int n = 50_000;
        for (int i = 0; i < n; i++) {
          c = c.add(uidHash(seed * 1_000_000L + i));
        }
        if (Math.abs(c.estimate() - n) > 3 * rse * n) {
          bad++;
        }
      }
      assertTrue(bad <= 1, "precision " + p + ": " + bad + " of 10 outside 3 rse");
    }
  }

  @Test
  void precisionOutOfRangeIsRefusedWithTheBound() {
    uniqcount.UserException e = org.junit.jupiter.api.Assertions.assertThrows(
        uniqcount.UserException.class, () -> CounterSpec.hll(19));
    assertTrue(e.getMessage().contains("between 4 and 18"), e.getMessage());
    assertEquals(uniqcount.UserException.Kind.USAGE, e.kind());
  }
}
