package uniqcount.count;

/**
 * HyperLogLog with 2^p one-byte registers and Ertl's improved raw estimator ("New cardinality
 * estimation algorithms for HyperLogLog sketches", 2017), which needs no empirical bias
 * correction and stays unbiased across the whole range, including small counts.
 *
 * <p>The register index is the top p bits of the hash; the rank is the position of the first set
 * bit of the remaining 64 − p bits (1-based; 65 − p if none). Merging takes the register-wise
 * maximum, which is lossless: a merged sketch equals the sketch of the union.
 */
final class DenseHll implements DistinctCounter {
  private final int precision;
  private final byte[] registers;

  DenseHll(int precision) {
    this.precision = precision;
    this.registers = new byte[1 << precision];
  }

  DenseHll(int precision, byte[] registers) {
    this.precision = precision;
    this.registers = registers;
  }

  private DenseHll(DenseHll other) {
    this.precision = other.precision;
    this.registers = other.registers.clone();
  }

  static double relativeStandardError(int precision) {
    return 1.04 / Math.sqrt(1 << precision);
  }

  /**
   * Adds a packed DataSketches hash ({@code UidHash.sketchHash}): its low {@code precision} bits
   * are the slot, its top six bits the value (1..63), kept if larger — as {@code HllSketch}
   * (HLL_8) does with the same uid.
   */
  @Override
  public DistinctCounter add(long hash) {
    int index = (int) hash & (registers.length - 1);
    byte value = (byte) (hash >>> VALUE_SHIFT);
    if (value > registers[index]) {
      registers[index] = value;
    }
    return this;
  }

  /** Where the value sits in a packed hash. */
  static final int VALUE_SHIFT = 58;
  /** The largest value: the number of leading zeros of the rank half is capped at 62, plus one. */
  static final int MAX_VALUE = 63;

  @Override
  public DistinctCounter merge(DistinctCounter other) {
    if (other instanceof DenseHll) {
      byte[] theirs = ((DenseHll) other).registers;
      byte[] mine = registers;
      for (int i = 0; i < mine.length; i++) {
        if (theirs[i] > mine[i]) {
          mine[i] = theirs[i];
        }
      }
      return this;
    }
    return ((SparseHll) other).addAllTo(this);
  }

  @Override
  public DistinctCounter copy() {
    return new DenseHll(this);
  }

  /**
   * DataSketches' estimate of these registers (its composite estimator, as for a union: our
   * counters are unions of partitions), so that a published window and the same sketch read back
   * by DataSketches, Druid or Spark say the same number. Costs one copy of the registers; called
   * when a result is published, not per frame.
   */
  @Override
  public long estimate() {
    return Math.round(SketchImage.estimate(precision, registers));
  }

  @Override
  public double relativeStandardError() {
    return relativeStandardError(precision);
  }

  @Override
  public long sizeBytes() {
    return registers.length;
  }

  @Override
  public CounterImage image() {
    return CounterImage.dense(precision, registers.clone());
  }
}
