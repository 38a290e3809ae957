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

  @Override
  public DistinctCounter add(long hash) {
    int index = (int) (hash >>> (64 - precision));
    int rank = Long.numberOfLeadingZeros((hash << precision) | (1L << (precision - 1))) + 1;
    if (rank > registers[index]) {
      registers[index] = (byte) rank;
    }
    return this;
  }

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

  @Override
  public long estimate() {
    int q = 64 - precision;
    int m = registers.length;
    int[] histogram = new int[q + 2];
    for (byte r : registers) {
      histogram[r]++;
    }
    double z = m * tau(1.0 - (double) histogram[q + 1] / m);
    for (int k = q; k >= 1; k--) {
      z = 0.5 * (z + histogram[k]);
    }
    z += m * sigma((double) histogram[0] / m);
    double alphaInfinity = 0.5 / Math.log(2);
    return Math.round(alphaInfinity * m * (double) m / z);
  }

  private static double sigma(double x) {
    if (x == 1.0) {
      return Double.POSITIVE_INFINITY;
    }
    double y = 1;
    double z = x;
    while (true) {
      x *= x;
      double next = z + x * y;
      y += y;
      if (next == z) {
        return z;
      }
      z = next;
    }
  }

  private static double tau(double x) {
    if (x == 0.0 || x == 1.0) {
      return 0.0;
    }
    double y = 1.0;
    double z = 1 - x;
    while (true) {
      x = Math.sqrt(x);
      y *= 0.5;
      double next = z - (1 - x) * (1 - x) * y;
      if (next == z) {
        return z / 3;
      }
      z = next;
    }
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
