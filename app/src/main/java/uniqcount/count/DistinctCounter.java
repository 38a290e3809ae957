package uniqcount.count;

/**
 * Counts distinct 64-bit uid hashes. Implementations may promote themselves to another
 * representation, so every mutating call returns the counter to use from then on:
 * {@code counter = counter.add(hash)}.
 *
 * <p>Not thread-safe: one thread owns each counter. Merging is a union and is exact for every
 * implementation (no information is lost by merging shards), so results never depend on how the
 * input was split.
 */
public interface DistinctCounter {

  /** Adds one uid hash; returns this counter or its successor. */
  DistinctCounter add(long hash);

  /** Adds every value of {@code other} (a counter made by the same {@link CounterSpec}). */
  DistinctCounter merge(DistinctCounter other);

  /** An independent copy. */
  DistinctCounter copy();

  /** The number of distinct values, exact or estimated. */
  long estimate();

  /**
   * Relative standard error of {@link #estimate()}: 0 when the count is exact (up to 64-bit hash
   * collisions, see {@code UidHash}).
   */
  double relativeStandardError();

  /**
   * What this counter holds, as plain values (a copy): for persisting it or publishing it as a
   * partial. {@link CounterSpec#fromImage} makes an equal counter from it.
   */
  CounterImage image();

  /** The bytes its values take on the heap (the arrays; object headers not counted): for metrics. */
  long sizeBytes();
}
