package uniqcount.engine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import uniqcount.count.CounterSpec;
import uniqcount.emit.Emitter;
import uniqcount.emit.ResultRecord;
import uniqcount.frame.FrameDecoder;
import uniqcount.source.Chunk;
import uniqcount.source.LineChunker;
import uniqcount.window.Clock;
import uniqcount.window.EventTimePolicy;
import uniqcount.window.Granularity;
import uniqcount.window.Partition;
import uniqcount.window.Windows;
import uniqcount.window.ZoneCalendar;

/**
 * The real data path — chunker, workers, partitions, emitter — driven synchronously from the test
 * thread with a manual clock: every chunk goes to the next worker in turn, and the emitter ticks
 * whenever the test says.
 */
final class EngineHarness {
  static final int MAX_FRAME = 8192;

  final ManualClock clock = new ManualClock();
  final List<Worker> workers = new ArrayList<>();
  final List<Partition> partitions = new ArrayList<>();
  final Emitter emitter;
  final List<ResultRecord> records = new ArrayList<>();
  private final BlockingQueue<Chunk> pool = new ArrayBlockingQueue<>(2);
  private int nextWorker;
  int maxWindowsHeld;

  EngineHarness(int workerCount, int partitionCount, EventTimePolicy policy, CounterSpec spec, boolean early) {
    for (int i = 0; i < workerCount; i++) {
      workers.add(new Worker(new FrameDecoder(MAX_FRAME)));
    }
    ZoneCalendar calendar = new ZoneCalendar(ZoneId.of("UTC"));
    for (int i = 0; i < partitionCount; i++) {
      partitions.add(new Partition(policy, clock, new Windows(EnumSet.allOf(Granularity.class), calendar, spec, policy)));
    }
    emitter = new Emitter(partitions, new Windows(EnumSet.allOf(Granularity.class), calendar, spec, policy), policy, spec, clock,
        early, 1_000_000_000L);
    pool.add(new Chunk(2 * MAX_FRAME));
    pool.add(new Chunk(2 * MAX_FRAME));
  }

  /** Makes every partition continue the one before, as the inputs of one file run do. */
  EngineHarness asOneHistory() {
    for (int i = 1; i < partitions.size(); i++) {
      partitions.get(i).follow(partitions.get(i - 1));
    }
    return this;
  }

  static EngineHarness withDefaults(int workers) {
    return new EngineHarness(workers, 1, EventTimePolicy.defaults(), CounterSpec.exact(), true);
  }

  /**
   * Feeds a whole input to a partition chunk by chunk; after each chunk the clock moves by
   * {@code nanosPerChunk} and the emitter ticks. The input's end is fed too (the partition
   * finishes).
   */
  void feed(byte[] data, int partition, long nanosPerChunk) throws Exception {
    feed(data, partition, nanosPerChunk, 1);
  }

  /** As {@link #feed(byte[], int, long)}, the emitter ticking after every {@code chunksPerTick} chunks (0: never). */
  void feed(byte[] data, int partition, long nanosPerChunk, int chunksPerTick) throws Exception {
    int[] chunks = {0};
    new LineChunker(pool, MAX_FRAME).read(new ByteArrayInputStream(data), partition, chunk -> {
      workers.get(nextWorker++ % workers.size()).onChunk(chunk, partitions.get(partition));
      pool.add(chunk);
      clock.advance(nanosPerChunk);
      if (chunksPerTick > 0 && ++chunks[0] % chunksPerTick == 0) {
        tick();
      }
    });
  }

  private final long[] openSequence = new long[64];

  /** Feeds whole lines to a partition as its next chunk, without ending it. */
  void feedOpen(byte[] data, int partition) {
    feedChunk(data, partition, false);
  }

  /** Feeds whole lines to a partition as its next chunk; {@code end}: marked as its last. */
  void feedChunk(byte[] data, int partition, boolean end) {
    workers.get(nextWorker++ % workers.size())
        .onChunk(uniqcount.source.TestChunks.of(data, partition, openSequence[partition]++, end), partitions.get(partition));
  }

  void tick() {
    records.addAll(emitter.tick());
    int held = 0;
    for (Partition p : partitions) {
      held += p.windows().windowCount();
    }
    maxWindowsHeld = Math.max(maxWindowsHeld, held);
  }

  void flush() {
    records.addAll(emitter.flush());
  }

  long implausible() {
    long n = 0;
    for (Partition p : partitions) {
      n += p.implausible();
    }
    return n;
  }

  long lateDropped() {
    long n = 0;
    for (Partition p : partitions) {
      n += p.lateDropped();
    }
    return n;
  }

  /** A job's standard streams, captured. */
  static final class Captured {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    Job.Streams streams(InputStream in) {
      return new Job.Streams(in, new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    Job.Streams streams() {
      return streams(InputStream.nullInputStream());
    }

    String out() {
      return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
      return err.toString(StandardCharsets.UTF_8);
    }
  }

  /** A clock the test moves by hand (from any thread). */
  static class ManualClock implements Clock {
    volatile long nanos = 1_000_000_000_000L;
    volatile long epochSecond = 1_800_000_000L;

    /** A clock whose reading fails ("worker broke") in a worker thread after {@code calls} readings there. */
    static ManualClock failingInWorkersAfter(int calls) {
      AtomicInteger readings = new AtomicInteger();
      return new ManualClock() {
        @Override
        public long epochSecond() {
          if (Thread.currentThread().getName().startsWith("uniqcount-worker") && readings.incrementAndGet() > calls) {
            throw new IllegalStateException("worker broke");
          }
          return super.epochSecond();
        }
      };
    }

    void advance(long byNanos) {
      nanos += byNanos;
    }

    @Override
    public long nanoTime() {
      return nanos;
    }

    @Override
    public long epochSecond() {
      return epochSecond;
    }
  }
}
