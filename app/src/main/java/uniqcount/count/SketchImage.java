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
 *       composite estimator applies), with the kxq sums, cur-min and its count computed from the
 *       registers as DataSketches computes them — byte for byte what DataSketches writes for the
 *       same sketch, so readers that do not rebuild them (datasketches-cpp, Python) read it too.
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
    // what DataSketches' Union.checkRebuildCurMinNumKxQ derives from the registers, in its order
    int curMin = 64;
    int numAtCurMin = 0;
    double kxq0 = 1 << lgK;
    double kxq1 = 0;
    for (byte r : registers) {
      int v = r;
      if (v > 0) {
        if (v < 32) {
          kxq0 += Math.scalb(1.0, -v) - 1.0;
        } else {
          kxq1 += Math.scalb(1.0, -v) - 1.0;
        }
      }
      if (v < curMin) {
        curMin = v;
        numAtCurMin = 1;
      } else if (v == curMin) {
        numAtCurMin++;
      }
    }
    ByteBuffer b = ByteBuffer.allocate(HLL_START + registers.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(0, (byte) HLL_PREINTS);
    b.put(1, (byte) SER_VER);
    b.put(2, (byte) FAMILY_HLL);
    b.put(3, (byte) lgK);
    b.put(5, (byte) OUT_OF_ORDER_FLAG); // HLL_8 images are the same compact or not: DataSketches leaves the flag off
    b.put(6, (byte) curMin);
    b.put(7, (byte) (MODE_HLL | TYPE_HLL_8 << 2));
    b.putDouble(8, 0.0); // the HIP accumulator: unused out of order
    b.putDouble(16, kxq0);
    b.putDouble(24, kxq1);
    b.putInt(32, numAtCurMin);
    b.putInt(36, 0); // no aux entries in HLL_8
    b.position(HLL_START);
    b.put(registers);
    return b.array();
  }

  /**
   * Checks that {@code bytes} is a compact DataSketches HLL image a reader can take without
   * surprises: serial version 1, family 7, lgK 4..21, the preamble its mode needs, and exactly
   * the length its mode and counts say (so a damaged field cannot make a reader allocate
   * gigabytes or fail later in a union).
   *
   * @return null if it is, else what is wrong
   */
  public static String problem(byte[] bytes) {
    if (bytes.length < 8) {
      return bytes.length + " bytes, fewer than a preamble";
    }
    int preInts = bytes[0] & 0x3F;
    int lgK = bytes[3] & 0xFF;
    int mode = bytes[7] & 3;
    if ((bytes[1] & 0xFF) != SER_VER || (bytes[2] & 0xFF) != FAMILY_HLL) {
      return "not a DataSketches HLL image (serial version " + (bytes[1] & 0xFF) + ", family " + (bytes[2] & 0xFF) + ")";
    }
    if (lgK < 4 || lgK > 21) {
      return "lgK " + lgK + " is outside 4..21";
    }
    boolean compact = (bytes[5] & COMPACT_FLAG) != 0;
    int lgArr = bytes[4] & 0xFF;
    if (!compact && mode != MODE_HLL && (lgArr < 3 || lgArr > 26)) {
      return "a coupon array of 2^" + lgArr + " ints";
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long want;
    switch (mode) {
      case MODE_LIST:
        want = preInts != LIST_PREINTS ? -1 : LIST_START + 4L * (compact ? bytes[6] & 0xFF : 1L << lgArr);
        break;
      case MODE_SET:
        want = preInts != SET_PREINTS || bytes.length < SET_START ? -1
            : SET_START + 4L * (compact ? b.getInt(8) & 0xFFFFFFFFL : 1L << lgArr);
        break;
      case MODE_HLL:
        int type = (bytes[7] >> 2) & 3;
        want = preInts == HLL_PREINTS && type == TYPE_HLL_8 ? HLL_START + (1L << lgK) : -1;
        break;
      default:
        want = -1;
    }
    if (want < 0) {
      return "a preamble that does not fit its mode (" + mode + ", " + preInts + " ints)";
    }
    if (bytes.length != want) {
      return bytes.length + " bytes where its preamble says " + want;
    }
    return null;
  }

  /** DataSketches' estimate of these registers: its composite estimator, as for a union. */
  static double estimate(int lgK, byte[] registers) {
    SketchMemory.load();
    return HllSketch.heapify(Memory.wrap(hll8(lgK, registers))).getEstimate();
  }
}
