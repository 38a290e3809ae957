package uniqcount.window;

import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import uniqcount.count.CounterSpec;
import uniqcount.frame.UidHash;

/**
 * The per-frame work after decoding, on a stream shaped like the challenge's (1,000 frames per
 * event-second, 0.1% a little late, 100,000 users): hashing a 19-byte uid, finding a frame's
 * window in the calendar (the slow path, once per new window) and in all six window sets (the
 * per-frame path), and counting into the six windows. Run: {@code scripts/jmh WindowBenchmark}
 * (add {@code -prof gc} to see that nothing is allocated per frame).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class WindowBenchmark {
  private static final int FRAMES = 100_000;
  private final long[] timestamps = new long[FRAMES];
  private final long[] hashes = new long[FRAMES];
  private final byte[][] uids = new byte[FRAMES][];
  private ZoneCalendar calendar;
  private WindowSet[] sets;
  private static final long BASE_TS = 1_468_244_384L;

  @Param({"UTC", "Europe/Zurich"})
  public String zone;

  @Param({"hll", "exact"})
  public String counter;

  @Setup
  public void setUp() {
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < FRAMES; i++) {
      timestamps[i] = BASE_TS + i / 1000 - (r.nextInt(1000) == 0 ? 1 + r.nextInt(20) : 0);
      uids[i] = String.format("%019x", r.nextLong(100_000) * 0x9E3779B97F4A7C15L >>> 1).substring(0, 19).getBytes(StandardCharsets.US_ASCII);
      hashes[i] = UidHash.hash(uids[i], 0, uids[i].length);
    }
    calendar = new ZoneCalendar(ZoneId.of(zone));
    newSets();
  }

  private void newSets() {
    CounterSpec spec = counter.equals("hll") ? CounterSpec.hll(14) : CounterSpec.exact();
    Granularity[] all = Granularity.values();
    sets = new WindowSet[all.length];
    for (int i = 0; i < all.length; i++) {
      sets[i] = new WindowSet(all[i], calendar, spec, 5 + EventTimePolicy.defaultHorizonSec(all[i]));
    }
  }

  /** UidHash of a 19-byte uid (per frame, inside the decoder). */
  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public long hashUid() {
    long sum = 0;
    for (byte[] u : uids) {
      sum += UidHash.hash(u, 0, u.length);
    }
    return sum;
  }

  /** The calendar alone: the start of all six windows of a timestamp (taken only when a frame leaves the cached windows). */
  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public long calendarStartOfSixWindows() {
    long sum = 0;
    Granularity[] all = Granularity.values();
    for (long ts : timestamps) {
      for (Granularity g : all) {
        sum += calendar.startOf(g, ts);
      }
    }
    return sum;
  }

  /** What a partition does per accepted frame: six window lookups and horizon checks, six counter updates. */
  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public int assignAndCountSixWindows() {
    // 100 event-seconds per call, the same each call: the windows stay open, as in a steady stream.
    int added = 0;
    WindowSet[] s = sets;
    for (int i = 0; i < FRAMES; i++) {
      long ts = timestamps[i];
      long h = hashes[i];
      for (WindowSet set : s) {
        if (set.add(ts, h, ts)) {
          added++;
        }
      }
    }
    return added;
  }
}
