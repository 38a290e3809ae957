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

  @Override
  public String toString() {
    return kind == Kind.EXACT ? "exact" : "hll(precision=" + precision + ")";
  }
}
