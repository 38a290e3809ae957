package uniqcount.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import uniqcount.count.CounterSpec;
import uniqcount.emit.Emitter;
import uniqcount.emit.ResultRecord;
import uniqcount.frame.FrameDecoder;
import uniqcount.gen.FrameGenerator;
import uniqcount.gen.GeneratorOptions;
import uniqcount.reference.JacksonReference;
import uniqcount.reference.ReferenceCounts;
import uniqcount.source.Chunk;
import uniqcount.source.TestChunks;
import uniqcount.window.Clock;
import uniqcount.window.EventTimePolicy;
import uniqcount.window.Granularity;
import uniqcount.window.Partition;
import uniqcount.window.Windows;
import uniqcount.window.ZoneCalendar;

/**
 * Several workers submit small batches of three partitions at once, in any order, while the
 * emitter ticks every millisecond on the real clock, publishing early, final and update records
 * and releasing minute windows at a one-minute horizon, so late frames are dropped while others
 * are still being counted. Against Jackson and {@code HashSet}s: no frame is lost or counted
 * twice, and every frame ends up counted, rejected, implausible or late-dropped.
 */
class ConcurrencyStressTest {
  private static final long START = 1_468_244_384L; // 2016-07-11T13:39:44Z
  private static final int PARTITIONS = 3;
  private static final int FRAMES_PER_PARTITION = 25_000;
  private static final int RATE = 50;
  private static final int LINES_PER_CHUNK = 40;

  private static byte[] input(long seed) throws Exception {
    GeneratorOptions o = new GeneratorOptions();
    o.count = FRAMES_PER_PARTITION;
    o.ratePerSec = RATE;
    o.users = 2_000;
    o.seed = seed;
    o.sizeBytes = 300;
    o.startSec = START;
    o.delaySec = 600;
    o.delayPercent = 10;
    o.bitflipProb = 0.002;
    o.stringTsProb = 0.05;
    o.badProb = 0.01;
    o.dupProb = 0.01;
    o.dialectProb = 0.02;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new FrameGenerator(o).writeAll(out);
    return out.toByteArray();
  }

  /** The input cut into chunks of whole lines, numbered in order, the last one marked. */
  private static List<Chunk> chunks(byte[] data, int partition) {
    List<Chunk> out = new ArrayList<>();
    int start = 0;
    int lines = 0;
    for (int i = 0; i < data.length; i++) {
      if (data[i] == '\n' && ++lines == LINES_PER_CHUNK) {
        out.add(TestChunks.of(java.util.Arrays.copyOfRange(data, start, i + 1), partition, out.size(), false));
        start = i + 1;
        lines = 0;
      }
    }
    out.add(TestChunks.of(java.util.Arrays.copyOfRange(data, start, data.length), partition, out.size(), true));
    return out;
  }

  @Test
  void workersAndTheEmitterTogetherLoseNothingAndCountNothingTwice() throws Exception {
    Map<Granularity, Long> horizons = new EnumMap<>(Granularity.class);
    horizons.put(Granularity.MINUTE, 60L);
    EventTimePolicy policy = new EventTimePolicy(5, horizons, 3600, 16, 3_600_000_000_000L,
        EnumSet.allOf(Granularity.class));
    CounterSpec spec = CounterSpec.exact();
    ZoneCalendar calendar = new ZoneCalendar(ZoneId.of("UTC"));
    List<Partition> partitions = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      partitions.add(new Partition(policy, Clock.SYSTEM, new Windows(EnumSet.allOf(Granularity.class), calendar, spec, policy)));
    }
    Emitter emitter = new Emitter(partitions, new Windows(EnumSet.allOf(Granularity.class), calendar, spec, policy), policy, spec,
        Clock.SYSTEM, true, 1_000_000L);

    ReferenceCounts reference = new ReferenceCounts(ZoneId.of("UTC"))
        .range(START - 700, START + FRAMES_PER_PARTITION / RATE + 10);
    long lines = 0;
    long valid = 0;
    List<List<Chunk>> perPartition = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      byte[] data = input(100 + p);
      reference.addLines(data);
      perPartition.add(chunks(data, p));
      for (int i = 0, start = 0; i < data.length; i++) {
        if (data[i] == '\n') {
          lines++;
          valid += JacksonReference.parse(data, start, i - start) != null ? 1 : 0;
          start = i + 1;
        }
      }
    }
    // round-robin over the partitions, in order within each: workers take them as they come
    ConcurrentLinkedQueue<Chunk> queue = new ConcurrentLinkedQueue<>();
    for (int i = 0; perPartition.stream().anyMatch(l -> !l.isEmpty()); i++) {
      List<Chunk> l = perPartition.get(i % PARTITIONS);
      if (!l.isEmpty()) {
        queue.add(l.remove(0));
      }
    }

    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<ResultRecord> records = new ArrayList<>();
    List<Worker> workers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      Worker worker = new Worker(new FrameDecoder(8192));
      workers.add(worker);
      threads.add(new Thread(() -> {
        try {
          for (Chunk c = queue.poll(); c != null; c = queue.poll()) {
            worker.onChunk(c, partitions.get(c.partition()));
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }, "stress-worker-" + w));
    }
    Thread ticking = new Thread(() -> {
      try {
        while (threads.stream().anyMatch(Thread::isAlive)) {
          records.addAll(emitter.tick());
          Thread.sleep(1);
        }
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
      }
    }, "stress-emitter");
    threads.forEach(Thread::start);
    ticking.start();
    for (Thread t : threads) {
      t.join();
    }
    ticking.join();
    assertEquals(null, failure.get());
    records.addAll(emitter.flush());

    Map<String, ResultRecord> latest = EventTimeTest.latest(records); // revisions 0, 1, 2…, one final each
    long lateDropped = partitions.stream().mapToLong(Partition::lateDropped).sum();
    long implausible = partitions.stream().mapToLong(Partition::implausible).sum();
    long accepted = workers.stream().mapToLong(w -> w.stats().get(Worker.WorkerStats.ACCEPTED)).sum();
    long read = workers.stream().mapToLong(w -> w.stats().get(Worker.WorkerStats.FRAMES)).sum();
    assertEquals(lines, read, "every line read once");
    assertEquals(valid, accepted, "every valid frame decoded once, the others rejected");
    assertTrue(lateDropped > 0, "minute windows were released while their late frames kept coming");

    long referenceMinuteFrames = 0;
    long publishedMinuteFrames = 0;
    long yearFrames = 0;
    for (Map.Entry<String, ReferenceCounts.Window> e : reference.windows.entrySet()) {
      String key = e.getKey();
      ReferenceCounts.Window truth = e.getValue();
      ResultRecord r = latest.get(key);
      if (key.startsWith("minute/")) {
        referenceMinuteFrames += truth.frames;
        if (r != null) {
          publishedMinuteFrames += r.frames();
          assertTrue(r.frames() <= truth.frames && r.uniques() <= truth.uids.size(), "more than the truth: " + r);
        }
        continue;
      }
      assertNotNull(r, key);
      assertEquals(truth.uids.size() + "/" + truth.frames, r.uniques() + "/" + r.frames(), key);
      if (key.startsWith("year/")) {
        yearFrames += r.frames();
      }
    }
    for (String key : latest.keySet()) {
      assertTrue(reference.windows.containsKey(key), "a window outside the true range: " + key);
    }
    assertEquals(referenceMinuteFrames - publishedMinuteFrames, lateDropped,
        "every frame missing from a minute was counted as late_dropped, and only those");
    assertEquals(accepted - implausible, yearFrames, "every accepted frame is counted or implausible");
  }
}
