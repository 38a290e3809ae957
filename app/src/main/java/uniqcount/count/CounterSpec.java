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

  /**
   * Whether its counters take Apache DataSketches' packed HLL hash ({@code UidHash.sketchHash}:
   * slot bits low, the register value in the top six bits) — the {@code hll} counter, so that its
   * registers are those of an {@code HllSketch(P, HLL_8)} of the same uids — rather than a plain
   * 64-bit hash ({@code UidHash.hash}, the {@code exact} counter).
   */
  public boolean sketchHash() {
    return kind == Kind.HLL;
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
      checkAscending(image.values());
      return new ExactCounter(LongHashSet.of(image.values()));
    }
    if (image.form() == CounterImage.Form.EXACT) {
      throw new IllegalArgumentException("expected a HyperLogLog counter, found an exact one");
    }
    if (image.precision() != precision) {
      throw new IllegalArgumentException("expected precision " + precision + ", found " + image.precision());
    }
    if (image.form() == CounterImage.Form.SPARSE_HLL) {
      checkAscending(image.values());
      if (image.values().length > SparseHll.limit(precision)) {
        throw new IllegalArgumentException("a sparse counter of " + image.values().length + " values, more than "
            + SparseHll.limit(precision));
      }
      return new SparseHll(precision, LongHashSet.of(image.values()));
    }
    byte[] registers = image.registers();
    if (registers.length != 1 << precision) {
      throw new IllegalArgumentException("expected " + (1 << precision) + " registers, found " + registers.length);
    }
    for (byte r : registers) {
      if (r < 0 || r > DenseHll.MAX_VALUE) {
        throw new IllegalArgumentException("a register of " + r + ", more than a value can be (" + DenseHll.MAX_VALUE + ")");
      }
    }
    return new DenseHll(precision, registers.clone());
  }

  private static void checkAscending(long[] values) {
    for (int i = 1; i < values.length; i++) {
      if (values[i] <= values[i - 1]) {
        throw new IllegalArgumentException("counter values not strictly ascending at " + i);
      }
    }
  }

  @Override
  public String toString() {
    return kind == Kind.EXACT ? "exact" : "hll(precision=" + precision + ")";
  }
}
