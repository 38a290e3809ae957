package uniqcount.count;

/**
 * The contents of a {@link DistinctCounter} as plain values, independent of its in-memory layout:
 * what a snapshot persists and what a partial published to other instances carries. Taken with
 * {@link DistinctCounter#image()}, turned back into a counter with {@link CounterSpec#fromImage}.
 *
 * @param form which representation
 * @param precision HyperLogLog precision (log2 of the register count); 0 for {@link Form#EXACT}
 * @param values the distinct uid hashes in ascending order (exact and sparse forms), else empty
 * @param registers the 2^precision register bytes (dense form), else empty
 */
public record CounterImage(Form form, int precision, long[] values, byte[] registers) {
  /** The representations a counter can be in. */
  public enum Form {
    /** {@code exact}: the set of uid hashes. */
    EXACT,
    /** {@code hll} while small: the set of uid hashes. */
    SPARSE_HLL,
    /** {@code hll}: 2^precision one-byte registers. */
    DENSE_HLL
  }

  private static final long[] NO_VALUES = {};
  private static final byte[] NO_REGISTERS = {};

  /** An exact counter's values. */
  public static CounterImage exact(long[] values) {
    return new CounterImage(Form.EXACT, 0, values, NO_REGISTERS);
  }

  /** A sparse HyperLogLog's values. */
  public static CounterImage sparse(int precision, long[] values) {
    return new CounterImage(Form.SPARSE_HLL, precision, values, NO_REGISTERS);
  }

  /** A dense HyperLogLog's registers. */
  public static CounterImage dense(int precision, byte[] registers) {
    return new CounterImage(Form.DENSE_HLL, precision, NO_VALUES, registers);
  }
}
