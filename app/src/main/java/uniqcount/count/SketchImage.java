package uniqcount.count;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.memory.Memory;

/**
 * An {@code hll} counter as Apache DataSketches' compact {@code HllSketch} image (serial version
 * 1, family 7, HLL_8), which {@code HllSketch.heapify} — and Druid's {@code HLLSketchMerge},
 * Spark's {@code hll_union_agg}, Pinot — read as a sketch of the same uids.
 *
 * <ul>
 *   <li>A sparse counter (DataSketches' coupon modes hold as many: see {@link #couponLimit}) is a
 *       LIST of its coupons (up to 7) or a compact SET.
 *   <li>A dense counter is the HLL_8 array: 40 bytes of preamble, then one byte per slot. It is
 *       marked out of order (a union of partitions, as a DataSketches union result is: the
 *       composite estimator applies) and asks the reader to rebuild its kxq and cur-min fields
 *       from the registers (as a union's unfinished image does).
 * </ul>
 *
 * <p>The layout is DataSketches' {@code PreambleUtil}; the tests check every form against
 * DataSketches' own sketches of the same uids.
 */
public final class SketchImage {
  private static final int SER_VER = 1;
  private static final int FAMILY_HLL = 7;
  private static final int LIST_PREINTS = 2;
  private static final int SET_PREINTS = 3;
  private static final int HLL_PREINTS = 10;
  private static final int EMPTY_FLAG = 4;
  private static final int COMPACT_FLAG = 8;
  private static final int OUT_OF_ORDER_FLAG = 16;
  private static final int REBUILD_FLAG = 32;
  private static final int MODE_LIST = 0;
  private static final int MODE_SET = 1;
  private static final int MODE_HLL = 2;
  private static final int TYPE_HLL_8 = 2;
  private static final int LIST_START = 8;
  private static final int SET_START = 12;
  private static final int HLL_START = 40;
  /** A LIST holds up to 7 coupons; the 8th promotes it (to a SET, or below lgK 8 to HLL). */
  private static final int LIST_MAX = 7;

  private SketchImage() {}

  /**
   * The most distinct coupons DataSketches keeps in its coupon modes before it promotes a sketch
   * of 2^lgK slots to HLL: 7 below lgK 8 (its list turns into HLL), else three quarters of its
   * largest coupon set (2^(lgK-3) ints).
   */
  public static int couponLimit(int lgK) {
    return lgK < 8 ? LIST_MAX : 3 * (1 << (lgK - 3)) / 4;
  }

  /** The compact DataSketches image of an {@code hll} counter's image. */
  public static byte[] of(CounterImage image) {
    switch (image.form()) {
      case SPARSE_HLL:
        return coupons(image.precision(), image.values());
      case DENSE_HLL:
        return hll8(image.precision(), image.registers());
      default:
        throw new IllegalArgumentException("an exact counter has no DataSketches image");
    }
  }

  /** A LIST or SET image of the coupons of these packed hashes ({@code UidHash.sketchHash}). */
  static byte[] coupons(int lgK, long[] sketchHashes) {
    int[] coupons = new int[sketchHashes.length];
    for (int i = 0; i < coupons.length; i++) {
      long h = sketchHashes[i];
      coupons[i] = (int) (h >>> DenseHll.VALUE_SHIFT) << 26 | (int) (h & ((1 << 26) - 1));
    }
    Arrays.sort(coupons);
    int n = 0;
    for (int i = 0; i < coupons.length; i++) {
      if (i == 0 || coupons[i] != coupons[i - 1]) {
        coupons[n++] = coupons[i];
      }
    }
    boolean list = n <= LIST_MAX;
    int start = list ? LIST_START : SET_START;
    ByteBuffer b = ByteBuffer.allocate(start + 4 * n).order(ByteOrder.LITTLE_ENDIAN);
    b.put(0, (byte) (list ? LIST_PREINTS : SET_PREINTS));
    b.put(1, (byte) SER_VER);
    b.put(2, (byte) FAMILY_HLL);
    b.put(3, (byte) lgK);
    b.put(4, (byte) (list ? 3 : 0)); // a compact set's array size is recomputed by the reader
    b.put(5, (byte) (COMPACT_FLAG | (n == 0 ? EMPTY_FLAG : 0)));
    b.put(6, (byte) (list ? n : 0));
    b.put(7, (byte) ((list ? MODE_LIST : MODE_SET) | TYPE_HLL_8 << 2));
    if (!list) {
      b.putInt(8, n);
    }
    for (int i = 0; i < n; i++) {
      b.putInt(start + 4 * i, coupons[i]);
    }
    return b.array();
  }

  /** An HLL_8 image of these registers (one byte per slot, DataSketches' values). */
  static byte[] hll8(int lgK, byte[] registers) {
    ByteBuffer b = ByteBuffer.allocate(HLL_START + registers.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(0, (byte) HLL_PREINTS);
    b.put(1, (byte) SER_VER);
    b.put(2, (byte) FAMILY_HLL);
    b.put(3, (byte) lgK);
    b.put(5, (byte) (COMPACT_FLAG | OUT_OF_ORDER_FLAG | REBUILD_FLAG));
    b.put(7, (byte) (MODE_HLL | TYPE_HLL_8 << 2));
    // hip accumulator, kxq0, kxq1, cur-min count, aux count: zero (rebuilt; HIP unused out of order)
    b.position(HLL_START);
    b.put(registers);
    return b.array();
  }

  /** DataSketches' estimate of these registers: its composite estimator, as for a union. */
  static double estimate(int lgK, byte[] registers) {
    return HllSketch.heapify(Memory.wrap(hll8(lgK, registers))).getEstimate();
  }
}
