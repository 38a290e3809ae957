package uniqcount.count;

/**
 * What kind of counter every window uses: {@code exact} (a set of 64-bit hashes) or {@code hll}
 * (HyperLogLog with 2^precision registers; exact while a window has few users).
 */
public final class CounterSpec {
  /** Smallest HyperLogLog precision accepted. */
  public static final int MIN_PRECISION = 4;
  /** Largest HyperLogLog precision accepted. */
  public static final int MAX_PRECISION = 18;
  /** Default HyperLogLog precision: 16,384 registers, 0.81% standard error. */
  public static final int DEFAULT_PRECISION = 14;

  /** Counter kinds, as named on the command line. */
  public enum Kind {
    EXACT("exact"),
    HLL("hll");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    /** The command-line and result-record name. */
    public String label() {
      return label;
    }
  }

  private final Kind kind;
  private final int precision;

  private CounterSpec(Kind kind, int precision) {
    this.kind = kind;
    this.precision = precision;
  }

  /** Exact counting. */
  public static CounterSpec exact() {
    return new CounterSpec(Kind.EXACT, 0);
  }

  /**
   * HyperLogLog with 2^precision registers.
   *
   * @throws IllegalArgumentException if precision is outside [4, 18]
   */
  public static CounterSpec hll(int precision) {
    if (precision < MIN_PRECISION || precision > MAX_PRECISION) {
      throw new IllegalArgumentException(
          "--precision must be between " + MIN_PRECISION + " and " + MAX_PRECISION + ", got " + precision);
    }
    return new CounterSpec(Kind.HLL, precision);
  }

  /** The kind of counter. */
  public Kind kind() {
    return kind;
  }

  /** log2 of the number of HyperLogLog registers; 0 for exact. */
  public int precision() {
    return precision;
  }

  /** A new, empty counter. */
  public DistinctCounter newCounter() {
    return kind == Kind.EXACT ? new ExactCounter() : new SparseHll(precision);
  }

  /** Theoretical relative standard error of a dense HyperLogLog: 1.04 / sqrt(2^precision). */
  public double denseRelativeStandardError() {
    return kind == Kind.EXACT ? 0 : DenseHll.relativeStandardError(precision);
  }

  /**
   * Reads a counter written by {@link DistinctCounter#writeTo}; it must be of this spec's kind and
   * precision.
   *
   * @throws java.io.IOException if the bytes are not such a counter
   */
  public DistinctCounter readCounter(java.io.DataInput in) throws java.io.IOException {
    int kindByte = in.readByte();
    if (kind == Kind.EXACT) {
      if (kindByte != 1) {
        throw new java.io.IOException("expected an exact counter, found kind " + kindByte);
      }
      return new ExactCounter(LongHashSet.readFrom(in));
    }
    if (kindByte != 2 && kindByte != 3) {
      throw new java.io.IOException("expected a HyperLogLog counter, found kind " + kindByte);
    }
    int p = in.readByte();
    if (p != precision) {
      throw new java.io.IOException("expected precision " + precision + ", found " + p);
    }
    if (kindByte == 2) {
      return new SparseHll(p, LongHashSet.readFrom(in));
    }
    byte[] registers = new byte[1 << p];
    in.readFully(registers);
    return new DenseHll(p, registers);
  }

  @Override
  public String toString() {
    return kind == Kind.EXACT ? "exact" : "hll(precision=" + precision + ")";
  }
}
