package uniqcount.frame;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link BlockScanner} on the incubating Vector API: 64 bytes in one 512-bit vector, or two of
 * 256 bits. Loaded by name only when {@code jdk.incubator.vector} is present, so JVMs without it
 * never link this class.
 */
final class VectorBlockScanner extends BlockScanner {
  private static final VectorSpecies<Byte> SPECIES =
      ByteVector.SPECIES_PREFERRED.vectorBitSize() >= 512 ? ByteVector.SPECIES_512 : ByteVector.SPECIES_256;
  private static final int LANES = SPECIES.length();

  @Override
  public String name() {
    return "vector-" + SPECIES.vectorBitSize();
  }

  @Override
  boolean wideVectors() {
    return ByteVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
  }

  @Override
  void scan(byte[] b, int pos, long[] out) {
    long quotes = 0;
    long backslashes = 0;
    long controls = 0;
    for (int i = 0; i < 64; i += LANES) {
      ByteVector v = ByteVector.fromArray(SPECIES, b, pos + i);
      quotes |= v.compare(VectorOperators.EQ, (byte) '"').toLong() << i;
      backslashes |= v.compare(VectorOperators.EQ, (byte) '\\').toLong() << i;
      // Signed bytes: 0x00..0x1f are the controls (only operators present in every incubator release).
      controls |= v.compare(VectorOperators.LT, (byte) 0x20).and(v.compare(VectorOperators.GE, (byte) 0)).toLong() << i;
    }
    out[BlockScanner.QUOTES] = quotes;
    out[BlockScanner.BACKSLASHES] = backslashes;
    out[BlockScanner.CONTROLS] = controls;
  }
}
