package uniqcount.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import uniqcount.UserException;
import uniqcount.count.CounterSpec;
import uniqcount.emit.Emitter;
import uniqcount.emit.ResultRecord;
import uniqcount.window.Clock;
import uniqcount.window.DecodedBatch;
import uniqcount.window.EventTimePolicy;
import uniqcount.window.FrameBuffer;
import uniqcount.window.Granularity;
import uniqcount.window.Partition;
import uniqcount.window.Windows;
import uniqcount.window.ZoneCalendar;

/**
 * The one codec of persisted state: snapshots and partials round-trip to equal state, and every
 * damaged form — each truncation, each flipped byte, a future version, a foreign file, a payload
 * that passes the checksum but lies about its counts — is refused with one clear error.
 */
class StateCodecTest {
  private static final long START = 1_468_244_384L; // 2016-07-11T13:39:44Z
  private static final ZoneCalendar UTC = new ZoneCalendar(ZoneId.of("UTC"));
  private static final EnumSet<Granularity> ALL = EnumSet.allOf(Granularity.class);

  /** A clock standing still: event time here is history, far from it. */
  private static final Clock CLOCK = new Clock() {
    @Override
    public long nanoTime() {
      return 0;
    }

    @Override
    public long epochSecond() {
      return 1_800_000_000L;
    }
  };

  /** A small live job's state, built by the real partitions and emitter. */
  private static final class State {
    final CounterSpec spec;
    final List<Partition> partitions = new ArrayList<>();
    final Windows retired;
    final Emitter emitter;

    State(CounterSpec spec, int partitionCount) {
      this.spec = spec;
      for (int i = 0; i < partitionCount; i++) {
        partitions.add(new Partition(EventTimePolicy.defaults(), CLOCK, new Windows(ALL, UTC, spec, EventTimePolicy.defaults())));
      }
      retired = new Windows(ALL, UTC, spec, EventTimePolicy.defaults());
      emitter = new Emitter(partitions, retired, EventTimePolicy.defaults(), spec, CLOCK, true, 1);
    }

    Snapshot snapshot() {
      List<Partition.State> states = new ArrayList<>();
      partitions.forEach(p -> states.add(p.state()));
      return new Snapshot("windows=all;input=test", new long[] {123, -1, 7}, 4096, emitter.state(), states,
          retired.state(), new long[] {1, 2, 3});
    }

    void restore(Snapshot s) {
      emitter.restore(s.emitter());
      for (int i = 0; i < partitions.size(); i++) {
        partitions.get(i).restore(s.partitions().get(i), spec, true);
      }
      retired.restore(s.retired(), spec);
    }
  }

  /** Feeds {@code n} frames (users {@code 0..users}) to a partition, in batches, with a few far-future ones held as a jump. */
  private static void feed(Partition p, long seed, int n, int users, boolean end) {
    SplittableRandom r = new SplittableRandom(seed);
    long seq = 0;
    for (int done = 0; done < n; ) {
      FrameBuffer f = new FrameBuffer(256);
      for (int i = 0; i < 256 && done < n; i++, done++) {
        long ts = START + done / 20 - r.nextInt(3);
        if (done == n / 2) {
          ts = START + 40 * 86_400; // a bit flip: held as a candidate jump, never counted
        }
        f.add(ts, r.nextLong() % users == 0 ? 0 : (long) r.nextInt(users) * 0x9E3779B97F4A7C15L);
      }
      p.submit(new DecodedBatch(f, seq++, end && done == n));
    }
  }

  private static State sample(CounterSpec spec) {
    State s = new State(spec, 3);
    feed(s.partitions.get(0), 1, 5000, 3000, false);
    feed(s.partitions.get(1), 2, 800, 100, true);
    s.emitter.tick(); // folds the finished partition 1, publishes early records
    feed(s.partitions.get(2), 3, 40, 10, false);
    s.emitter.tick();
    return s;
  }

  @Test
  void snapshotRoundTripsToTheSameBytesAndTheSameResults() {
    for (CounterSpec spec : List.of(CounterSpec.exact(), CounterSpec.hll(14), CounterSpec.hll(4))) {
      State original = sample(spec);
      byte[] bytes = StateCodec.encode(original.snapshot());
      Snapshot decoded = StateCodec.decode(bytes, "test");
      assertArrayEquals(bytes, StateCodec.encode(decoded), spec.toString());
      assertArrayEquals(new long[] {123, -1, 7}, decoded.positions());
      assertEquals(4096, decoded.outputPosition());

      State restored = new State(spec, 3);
      restored.restore(decoded);
      assertArrayEquals(bytes, StateCodec.encode(restored.snapshot()), "restored state encodes alike: " + spec);
      assertEquals(original.emitter.flush().toString(), restored.emitter.flush().toString(), spec.toString());
    }
  }

  @Test
  void partialCarriesAPartitionsContributionToAnotherMergeStep() {
    CounterSpec spec = CounterSpec.hll(12);
    State whole = sample(spec);
    String expected = whole.emitter.flush().toString();

    // Partition 2 leaves: its partial is published, and another process restores it next to the others.
    State elsewhere = new State(spec, 3);
    State source = sample(spec);
    Snapshot s = source.snapshot();
    List<Partition.State> moved = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      moved.add(StateCodec.decodePartial(StateCodec.encodePartial(s.partitions().get(i)), "partial " + i));
    }
    elsewhere.restore(new Snapshot(s.fingerprint(), s.positions(), s.outputPosition(), s.emitter(), moved, s.retired(),
        s.totals()));
    assertEquals(expected, elsewhere.emitter.flush().toString());
  }

  @Test
  void partialsOfDisjointPartitionsMergeLikeOnePartition() {
    // Frames of one stream split by user over two partitions (as Kafka keys would) give the same
    // window counts as one partition holding all of them: the merge step is a lossless union.
    CounterSpec spec = CounterSpec.exact();
    State one = new State(spec, 1);
    State two = new State(spec, 2);
    SplittableRandom r = new SplittableRandom(5);
    long[] seq = new long[3];
    for (int b = 0; b < 40; b++) {
      FrameBuffer all = new FrameBuffer(100);
      FrameBuffer[] split = {new FrameBuffer(100), new FrameBuffer(100)};
      for (int i = 0; i < 100; i++) {
        long ts = START + b * 10 + i / 10;
        long uid = r.nextInt(500) + 1;
        all.add(ts, uid);
        split[(int) (uid & 1)].add(ts, uid);
      }
      boolean end = b == 39;
      one.partitions.get(0).submit(new DecodedBatch(all, seq[0]++, end));
      two.partitions.get(0).submit(new DecodedBatch(split[0], seq[1]++, end));
      two.partitions.get(1).submit(new DecodedBatch(split[1], seq[2]++, end));
    }
    List<String> a = values(one.emitter.flush());
    byte[] p0 = StateCodec.encodePartial(two.partitions.get(0).state());
    byte[] p1 = StateCodec.encodePartial(two.partitions.get(1).state());
    State merged = new State(spec, 2);
    merged.partitions.get(0).restore(StateCodec.decodePartial(p0, "p0"), spec, true);
    merged.partitions.get(1).restore(StateCodec.decodePartial(p1, "p1"), spec, true);
    assertEquals(a, values(merged.emitter.flush()));
  }

  private static List<String> values(List<ResultRecord> records) {
    List<String> out = new ArrayList<>();
    records.forEach(r -> out.add(r.window() + "/" + r.startSec() + "=" + r.uniques() + "/" + r.frames()));
    return out;
  }

  @Test
  void aPartitionSplitIntoStateTopicRecordsRestoresToTheSameState() {
    // Kafka input: a partition travels as one task record and one record per window; the
    // merge step's record carries its sequence number.
    for (CounterSpec spec : List.of(CounterSpec.exact(), CounterSpec.hll(14))) {
      State original = sample(spec);
      Partition p = original.partitions.get(0);
      Partition.State whole = p.state();
      Windows w = p.windows();
      TaskState task = StateCodec.decodeTask(StateCodec.encodeTask(new TaskState(4242, true, p.clockState(),
          p.lateDropped(), w.granularityList(), w.releaseLines())), "task");
      assertEquals(4242, task.nextOffset());
      assertTrue(task.idle());
      List<Windows.WindowImage> images = new ArrayList<>();
      for (Windows.WindowImage image : whole.windows().windows()) {
        images.add(StateCodec.decodeWindow(StateCodec.encodeWindow(image), "window"));
      }
      Partition restored = new Partition(EventTimePolicy.defaults(), CLOCK, new Windows(ALL, UTC, spec, EventTimePolicy.defaults()));
      restored.restore(new Partition.State(false, task.clock(), task.lateDropped(),
          new Windows.State(task.granularities(), task.releasedEndSec(), images)), spec, false);
      assertArrayEquals(StateCodec.encodePartial(whole), StateCodec.encodePartial(restored.state()));
      StateCodec.MergeState merge = StateCodec.decodeMerge(StateCodec.encodeMerge(
          new StateCodec.MergeState(17, original.emitter.state())), "merge");
      assertEquals(17, merge.sequence());
      assertEquals(original.emitter.state().published(), merge.emitter().published());
      assertEquals(0, merge.finalThrough().length);
      StateCodec.MergeState last = StateCodec.decodeMerge(StateCodec.encodeMerge(
          new StateCodec.MergeState(18, original.emitter.state(), new long[] {25_000, 0, 7})), "merge");
      assertArrayEquals(new long[] {25_000, 0, 7}, last.finalThrough());
      // a merge record written before finalThrough existed (no count at its end) reads as not final
      byte[] plain = StateCodec.encodeMerge(new StateCodec.MergeState(19, original.emitter.state()));
      byte[] before = envelope(StateCodec.MERGE_MAGIC, StateCodec.VERSION,
          Arrays.copyOfRange(plain, StateCodec.HEADER, plain.length - Integer.BYTES));
      StateCodec.MergeState old = StateCodec.decodeMerge(before, "merge");
      assertEquals(19, old.sequence());
      assertEquals(0, old.finalThrough().length);
      assertEquals(original.emitter.state().published(), old.emitter().published());
      byte[] window = StateCodec.encodeWindow(images.get(0));
      window[window.length - 1] ^= 1;
      UserException e = assertThrows(UserException.class, () -> StateCodec.decodeWindow(window, "record 0/minute/1 of topic s"));
      assertTrue(e.getMessage().startsWith("record 0/minute/1 of topic s is corrupt"), e.getMessage());
      assertThrows(UserException.class, () -> StateCodec.decodeTask(StateCodec.encodeWindow(images.get(0)), "task"));
    }
  }

  @Test
  void everyTruncationIsRefused() {
    byte[] bytes = StateCodec.encode(sample(CounterSpec.hll(8)).snapshot());
    for (int n = 0; n < bytes.length; n++) {
      byte[] cut = Arrays.copyOf(bytes, n);
      UserException e = assertThrows(UserException.class, () -> StateCodec.decode(cut, "snapshot-1.ucp"), "length " + n);
      assertTrue(e.getMessage().startsWith("snapshot-1.ucp "), e.getMessage());
      assertEquals(UserException.Kind.FAILURE, e.kind());
    }
  }

  @Test
  void everyTruncatedPayloadWithAValidChecksumIsRefusedAsDamaged() {
    // A writer bug, not a torn write: the envelope is right, the payload is not.
    byte[] bytes = StateCodec.encode(sample(CounterSpec.exact()).snapshot());
    byte[] payload = Arrays.copyOfRange(bytes, StateCodec.HEADER, bytes.length);
    for (int n = 0; n < payload.length; n += Math.max(1, n / 50)) {
      byte[] lying = envelope(StateCodec.SNAPSHOT_MAGIC, StateCodec.VERSION, Arrays.copyOf(payload, n));
      UserException e = assertThrows(UserException.class, () -> StateCodec.decode(lying, "x"), "payload length " + n);
      assertTrue(e.getMessage().startsWith("x is damaged ("), e.getMessage());
    }
    byte[] longer = envelope(StateCodec.SNAPSHOT_MAGIC, StateCodec.VERSION, Arrays.copyOf(payload, payload.length + 3));
    assertTrue(assertThrows(UserException.class, () -> StateCodec.decode(longer, "x")).getMessage()
        .contains("3 unexpected trailing bytes"));
  }

  @Test
  void everyFlippedByteIsRefused() {
    byte[] bytes = StateCodec.encode(sample(CounterSpec.hll(6)).snapshot());
    SplittableRandom r = new SplittableRandom(11);
    for (int i = 0; i < bytes.length; i++) {
      byte[] flipped = bytes.clone();
      flipped[i] ^= (byte) (1 << r.nextInt(8));
      if (i == 6 || i == 7) {
        continue; // the reserved field is not read
      }
      assertThrows(UserException.class, () -> StateCodec.decode(flipped, "x"), "byte " + i);
    }
  }

  @Test
  void aFutureVersionIsRefusedSayingSo() {
    byte[] bytes = StateCodec.encode(sample(CounterSpec.exact()).snapshot());
    ByteBuffer.wrap(bytes).putShort(4, (short) (StateCodec.VERSION + 1));
    UserException e = assertThrows(UserException.class, () -> StateCodec.decode(bytes, "snapshot-9.ucp"));
    assertEquals("snapshot-9.ucp has format version 3, this uniqcount reads 2 (written by a newer uniqcount)", e.getMessage());
  }

  @Test
  void foreignBytesAreRefusedSayingSo() {
    List<byte[]> foreign = List.of(new byte[0], "{\"uid\":\"a\",\"ts\":1}\n".getBytes(StandardCharsets.UTF_8),
        new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 0}, new byte[4096],
        StateCodec.encodePartial(sample(CounterSpec.exact()).partitions.get(0).state()));
    for (byte[] b : foreign) {
      UserException e = assertThrows(UserException.class, () -> StateCodec.decode(b, "f"));
      assertEquals("f is not a uniqcount snapshot", e.getMessage());
    }
    byte[] snapshot = StateCodec.encode(sample(CounterSpec.exact()).snapshot());
    assertEquals("f is not a uniqcount partial",
        assertThrows(UserException.class, () -> StateCodec.decodePartial(snapshot, "f")).getMessage());
  }

  @Test
  void aSnapshotOfAnotherCounterDoesNotRestore() {
    Snapshot s = StateCodec.decode(StateCodec.encode(sample(CounterSpec.hll(14)).snapshot()), "x");
    State other = new State(CounterSpec.exact(), 3);
    assertThrows(IllegalArgumentException.class, () -> other.restore(s));
    State otherPrecision = new State(CounterSpec.hll(12), 3);
    assertThrows(IllegalArgumentException.class, () -> otherPrecision.restore(s));
  }

  private static byte[] envelope(int magic, short version, byte[] payload) {
    CRC32C crc = new CRC32C();
    crc.update(payload);
    return ByteBuffer.allocate(StateCodec.HEADER + payload.length).putInt(magic).putShort(version).putShort((short) 0)
        .putLong(payload.length).putInt((int) crc.getValue()).put(payload).array();
  }

  @Test
  void aFingerprintOfThousandsOfFilesFits() {
    Snapshot s = sample(CounterSpec.exact()).snapshot();
    String files = "files:" + "/data/history/2016/frames-2016-07-11T13.jsonl.gz|".repeat(3_000);
    Snapshot big = new Snapshot(files, s.positions(), s.outputPosition(), s.emitter(), s.partitions(), s.retired(),
        s.totals());
    assertEquals(files, StateCodec.decode(StateCodec.encode(big), "x").fingerprint());
  }

  @Test
  void countersThatNoCounterCouldHoldAreRefusedOnRestore() {
    CounterSpec spec = CounterSpec.hll(4);
    State s = new State(spec, 1);
    feed(s.partitions.get(0), 9, 2000, 1000, false); // dense minutes, hours...
    Windows.State w = s.partitions.get(0).state().windows();
    Windows.WindowImage dense = w.windows().stream()
        .filter(i -> i.counter().form() == uniqcount.count.CounterImage.Form.DENSE_HLL).findFirst().orElseThrow();
    byte[] registers = dense.counter().registers().clone();
    registers[3] = 64; // DataSketches' values end at 63 (62 leading zeros at most, plus one)
    Windows.State bad = new Windows.State(w.granularities(), w.releasedEndSec(), List.of(new Windows.WindowImage(
        dense.granularity(), dense.startSec(), dense.endSec(), dense.frames(),
        uniqcount.count.CounterImage.dense(4, registers))));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Windows(ALL, UTC, spec, EventTimePolicy.defaults()).restore(bad, spec));
    assertTrue(e.getMessage().contains("a register of 64"), e.getMessage());
    Windows.State unsorted = new Windows.State(w.granularities(), w.releasedEndSec(), List.of(new Windows.WindowImage(
        dense.granularity(), dense.startSec(), dense.endSec(), 2, uniqcount.count.CounterImage.sparse(4, new long[] {5, 3}))));
    assertThrows(IllegalArgumentException.class, () -> new Windows(ALL, UTC, spec, EventTimePolicy.defaults()).restore(unsorted, spec));
  }
}
