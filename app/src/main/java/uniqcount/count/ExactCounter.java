package uniqcount.count;

/** Exact distinct count: a set of 64-bit uid hashes (exact up to hash collisions). */
final class ExactCounter implements DistinctCounter {
  private final LongHashSet set;

  ExactCounter() {
    this.set = new LongHashSet(16);
  }

  ExactCounter(LongHashSet set) {
    this.set = set;
  }

  @Override
  public DistinctCounter add(long hash) {
    set.add(hash);
    return this;
  }

  @Override
  public DistinctCounter merge(DistinctCounter other) {
    ((ExactCounter) other).set.forEach(set::add);
    return this;
  }

  @Override
  public DistinctCounter copy() {
    return new ExactCounter(new LongHashSet(set));
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
    return CounterImage.exact(set.toSortedArray());
  }
}
