package uniqcount.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.datasketches.cpc.CpcSketch;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import uniqcount.count.CounterSpec;
import uniqcount.count.DistinctCounter;

/**
 * Cost per update of one window's distinct counter: 60,000 pre-hashed uids, ~45,000 distinct (a
 * busy minute of the challenge sample). Our counters against Apache DataSketches, the candidate
 * library. Run: {@code scripts/jmh CounterBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CounterBenchmark {
  private static final int UPDATES = 60_000;
  private final long[] hashes = new long[UPDATES];

  @Setup
  public void setUp() {
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < UPDATES; i++) {
      byte[] uid = ("user-" + r.nextInt(100_000)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      hashes[i] = uniqcount.frame.UidHash.sketchHash(uid, 0, uid.length); // what an hll job's decoder gives
    }
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }

  @Benchmark
  @OperationsPerInvocation(UPDATES)
  public long uniqcountHll14() {
    DistinctCounter c = CounterSpec.hll(14).newCounter();
    for (long h : hashes) {
      c = c.add(h);
    }
    return c.estimate();
  }

  @Benchmark
  @OperationsPerInvocation(UPDATES)
  public long uniqcountExact() {
    DistinctCounter c = CounterSpec.exact().newCounter();
    for (long h : hashes) {
      c = c.add(h);
    }
    return c.estimate();
  }

  @Benchmark
  @OperationsPerInvocation(UPDATES)
  public double datasketchesHll8() {
    HllSketch s = new HllSketch(14, TgtHllType.HLL_8);
    for (long h : hashes) {
      s.update(h);
    }
    return s.getEstimate();
  }

  @Benchmark
  @OperationsPerInvocation(UPDATES)
  public double datasketchesHll4() {
    HllSketch s = new HllSketch(14, TgtHllType.HLL_4);
    for (long h : hashes) {
      s.update(h);
    }
    return s.getEstimate();
  }

  @Benchmark
  @OperationsPerInvocation(UPDATES)
  public double datasketchesCpc() {
    CpcSketch s = new CpcSketch(14);
    for (long h : hashes) {
      s.update(h);
    }
    return s.getEstimate();
  }
}
