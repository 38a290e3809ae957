package uniqcount.count;

/**
 * The first representation of an {@code hll} counter: the exact set of hashes, while DataSketches
 * would keep coupons ({@link SketchImage#couponLimit}). Beyond that it promotes itself to a
 * {@link DenseHll} holding the same hashes. Small windows are therefore counted exactly, and
 * thousands of quiet windows cost far less than 2^p bytes each.
 *
 * <p>Whether a counter is sparse depends only on how many distinct hashes it holds, never on the
 * order of updates or merges, so sharded and unsharded runs give identical results.
 */
final class SparseHll implements DistinctCounter {
  private final int precision;
  private final int limit;
  private final LongHashSet set;

  SparseHll(int precision) {
    this.precision = precision;
    this.limit = limit(precision);
    this.set = new LongHashSet(16);
  }

  SparseHll(int precision, LongHashSet set) {
    this.precision = precision;
    this.limit = limit(precision);
    this.set = set;
  }

  /**
   * The most values a sparse counter of this precision holds before it becomes dense: as many
   * as DataSketches keeps as coupons before its sketch becomes HLL (3/32 of 2^p from p = 8; 7
   * below), so both change form at the same count and a published sketch is in the same form
   * as DataSketches' own — unless two of its uids share a coupon (at p = 14 about one window in
   * 170 of those near the limit), and then only in a narrow band just above the limit, and only
   * the form differs, not the registers. At the limit the set takes up to twice the dense bytes
   * (load at most one half).
   */
  static int limit(int precision) {
    return SketchImage.couponLimit(precision);
  }

  private SparseHll(SparseHll other) {
    this.precision = other.precision;
    this.limit = other.limit;
    this.set = new LongHashSet(other.set);
  }

  @Override
  public DistinctCounter add(long hash) {
    if (set.add(hash) && set.size() > limit) {
      return addAllTo(new DenseHll(precision));
    }
    return this;
  }

  @Override
  public DistinctCounter merge(DistinctCounter other) {
    if (other instanceof DenseHll) {
      return addAllTo((DenseHll) other.copy());
    }
    DistinctCounter[] result = {this};
    ((SparseHll) other).set.forEach(v -> result[0] = result[0].add(v));
    return result[0];
  }

  /** Adds every hash of this set to {@code dense}; returns it. */
  DenseHll addAllTo(DenseHll dense) {
    set.forEach(dense::add);
    return dense;
  }

  @Override
  public DistinctCounter copy() {
    return new SparseHll(this);
  }

  @Override
  public long estimate() {
    return set.size();
  }

  @Override
  public double relativeStandardError() {
    return 0;
  }

  @Override
  public long sizeBytes() {
    return set.sizeBytes();
  }

  @Override
  public CounterImage image() {
    return CounterImage.sparse(precision, set.toSortedArray());
  }
}
