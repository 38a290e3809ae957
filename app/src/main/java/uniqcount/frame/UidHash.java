package uniqcount.frame;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A 64-bit hash of the decoded uid bytes, computed once per frame; everything downstream keys on
 * it.
 *
 * <p>Eight bytes per step, each word folded in with a 64×64→128-bit multiply (as in wyhash), then
 * a MurmurHash3 finaliser so that every output bit depends on every input bit: HyperLogLog takes
 * its register index from the top bits and its rank from the rest, and the exact set indexes by
 * the low bits. The exact counter relies on this hash being collision-free over the distinct uids
 * of one window; for n distinct uids the chance of any collision is at most n²/2⁶⁵ (10⁷ users:
 * 2.7·10⁻⁶).
 */
public final class UidHash {
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long SEED = 0x2d358dccaa6c78a5L;
  private static final long K1 = 0x8bb84b93962eacc9L;
  private static final long K2 = 0x4b33a62ed433d4a3L;

  private UidHash() {}

  /** Hash of {@code length} bytes of {@code bytes} from {@code offset}. */
  public static long hash(byte[] bytes, int offset, int length) {
    long h = SEED ^ (length * K2);
    int i = offset;
    int end = offset + length;
    for (; i + 8 <= end; i += 8) {
      h = mum(h ^ (long) LONG_LE.get(bytes, i), K1);
    }
    if (i < end) {
      long tail = 0;
      for (int shift = 0; i < end; i++, shift += 8) {
        tail |= (bytes[i] & 0xFFL) << shift;
      }
      h = mum(h ^ tail, K2);
    }
    return fmix64(h);
  }

  /** The seed Apache DataSketches hashes with ({@code Util.DEFAULT_UPDATE_SEED}). */
  public static final long SKETCH_SEED = 9001L;
  /** Bits of the 128-bit hash's first half kept in the packed hash (the rest hold the rank). */
  public static final int SLOT_BITS = 58;
  public static final long SLOT_MASK = (1L << SLOT_BITS) - 1;
  private static final long C1 = 0x87c37b91114253d5L;
  private static final long C2 = 0x4cf5ad432745937fL;

  /**
   * The hash Apache DataSketches' HLL sketches use, packed into one long: MurmurHash3_x64_128
   * with seed 9001 over the uid's bytes gives h0 and h1; the low {@link #SLOT_BITS} bits of h0
   * (a sketch's slot is its low lgK bits) and, above them, the value DataSketches stores in that
   * slot: {@code min(numberOfLeadingZeros(h1), 62) + 1} (the {@code hll} counter unpacks it).
   *
   * <p>As a key of an exact set it is 64 bits of which 58 + the rank are independent: for n
   * distinct uids the chance of any collision is at most n²/2⁵⁹ — the {@code exact} counter keeps
   * {@link #hash} instead.
   */
  public static long sketchHash(byte[] bytes, int offset, int length) {
    long h1 = SKETCH_SEED;
    long h2 = SKETCH_SEED;
    int i = offset;
    int end = offset + length;
    for (; i + 16 <= end; i += 16) {
      long k1 = (long) LONG_LE.get(bytes, i);
      long k2 = (long) LONG_LE.get(bytes, i + 8);
      h1 ^= mixK1(k1);
      h1 = Long.rotateLeft(h1, 27);
      h1 += h2;
      h1 = h1 * 5 + 0x52dce729;
      h2 ^= mixK2(k2);
      h2 = Long.rotateLeft(h2, 31);
      h2 += h1;
      h2 = h2 * 5 + 0x38495ab5;
    }
    int rest = end - i;
    if (rest > 0) {
      long k1 = 0;
      long k2 = 0;
      for (int j = rest - 1; j >= 8; j--) {
        k2 = (k2 << 8) | (bytes[i + j] & 0xFFL);
      }
      for (int j = Math.min(rest, 8) - 1; j >= 0; j--) {
        k1 = (k1 << 8) | (bytes[i + j] & 0xFFL);
      }
      if (rest > 8) {
        h2 ^= mixK2(k2);
      }
      h1 ^= mixK1(k1);
    }
    h1 ^= length;
    h2 ^= length;
    h1 += h2;
    h2 += h1;
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 += h2;
    h2 += h1;
    int lz = Long.numberOfLeadingZeros(h2);
    long value = (lz > 62 ? 62 : lz) + 1;
    return (h1 & SLOT_MASK) | (value << SLOT_BITS);
  }

  /** DataSketches' coupon of a {@link #sketchHash}: its value above the low 26 bits of its slot. */
  public static int coupon(long sketchHash) {
    return (int) (sketchHash >>> SLOT_BITS) << 26 | (int) (sketchHash & ((1 << 26) - 1));
  }

  private static long mixK1(long k1) {
    k1 *= C1;
    k1 = Long.rotateLeft(k1, 31);
    return k1 * C2;
  }

  private static long mixK2(long k2) {
    k2 *= C2;
    k2 = Long.rotateLeft(k2, 33);
    return k2 * C1;
  }

  private static long mum(long a, long b) {
    return (a * b) ^ Math.multiplyHigh(a, b);
  }

  private static long fmix64(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }
}
