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
