package uniqcount.count;

import uniqcount.UserException;

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
   * @throws UserException if precision is outside [4, 18]
   */
  public static CounterSpec hll(int precision) {
    if (precision < MIN_PRECISION || precision > MAX_PRECISION) {
      throw UserException.usage(
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
   * A counter equal to the one {@code image} was taken from.
   *
   * @throws IllegalArgumentException if the image is of another kind or precision than this spec
   */
  public DistinctCounter fromImage(CounterImage image) {
    if (kind == Kind.EXACT) {
      if (image.form() != CounterImage.Form.EXACT) {
        throw new IllegalArgumentException("expected an exact counter, found " + image.form());
      }
      return new ExactCounter(LongHashSet.of(image.values()));
    }
    if (image.form() == CounterImage.Form.EXACT) {
      throw new IllegalArgumentException("expected a HyperLogLog counter, found an exact one");
    }
    if (image.precision() != precision) {
      throw new IllegalArgumentException("expected precision " + precision + ", found " + image.precision());
    }
    if (image.form() == CounterImage.Form.SPARSE_HLL) {
      return new SparseHll(precision, LongHashSet.of(image.values()));
    }
    if (image.registers().length != 1 << precision) {
      throw new IllegalArgumentException("expected " + (1 << precision) + " registers, found " + image.registers().length);
    }
    return new DenseHll(precision, image.registers().clone());
  }

  @Override
  public String toString() {
    return kind == Kind.EXACT ? "exact" : "hll(precision=" + precision + ")";
  }
}
