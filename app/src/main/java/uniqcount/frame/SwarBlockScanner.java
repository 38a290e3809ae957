package uniqcount.frame;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** {@link BlockScanner} eight bytes per step in a {@code long} (SIMD within a register). */
final class SwarBlockScanner extends BlockScanner {
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long LOW7 = 0x7f7f7f7f7f7f7f7fL;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long QUOTES = 0x2222222222222222L;
  private static final long BACKSLASHES = 0x5c5c5c5c5c5c5c5cL;
  private static final long SPACES = 0x2020202020202020L;
  private static final long TO_80_FROM_20 = 0x6060606060606060L;
  /** Gathers the high bits of the eight bytes (shifted down to bit 0 of each) into the top byte. */
  private static final long GATHER = 0x0102040810204080L;

  @Override
  public String name() {
    return "swar";
  }

  @Override
  void scan(byte[] b, int pos, long[] out) {
    long quotes = 0;
    long backslashes = 0;
    long anyControl = 0;
    for (int j = 0; j < 64; j += 8) {
      long w = (long) LONG_LE.get(b, pos + j);
      quotes |= bits(equalBytes(w ^ QUOTES)) << j;
      backslashes |= bits(equalBytes(w ^ BACKSLASHES)) << j;
      anyControl |= (w - SPACES) & ~w; // high bit set somewhere if some byte is below 0x20
    }
    out[BlockScanner.QUOTES] = quotes;
    out[BlockScanner.BACKSLASHES] = backslashes;
    out[BlockScanner.CONTROLS] = (anyControl & HIGHS) == 0 ? 0 : controls(b, pos);
  }

  /** The exact control-character mask of a block that has some (rare: only whitespace such as CR). */
  private static long controls(byte[] b, int pos) {
    long controls = 0;
    for (int j = 0; j < 64; j += 8) {
      long w = (long) LONG_LE.get(b, pos + j);
      controls |= bits(~(((w & LOW7) + TO_80_FROM_20) | w) & HIGHS) << j;
    }
    return controls;
  }

  /** The high bit set in exactly the bytes of {@code x} that are zero (no false positives). */
  private static long equalBytes(long x) {
    return ~(((x & LOW7) + LOW7) | x) & HIGHS;
  }

  /** Eight high bits (one per byte) to eight low bits, byte i to bit i. */
  private static long bits(long highBits) {
    return ((highBits >>> 7) * GATHER) >>> 56;
  }
}
