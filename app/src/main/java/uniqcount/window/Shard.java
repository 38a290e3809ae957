package uniqcount.window;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import uniqcount.count.CounterSpec;
import uniqcount.frame.FrameDecoder;
import uniqcount.frame.Reject;
import uniqcount.source.Chunk;

/**
 * One worker's state: a frame decoder, its own windows and counters, its own stats.
 *
 * <p>A chunk goes through three steps: decode every line into (ts, uid hash) pairs (in parallel
 * with other workers); hand the batch to its {@link Partition}, which applies batches in input
 * order; for each batch this worker ends up applying (its own or another worker's), let the
 * partition's event-time state pick the believable frames and count them in this shard's windows.
 * Window state is guarded by this shard's monitor, held per batch by the owning worker and
 * briefly by the emitter when it reads or releases windows.
 */
public final class Shard {
  private final FrameDecoder decoder;
  private final WindowSet[] windowSets;
  private final ShardStats stats = new ShardStats();
  private final FrameBuffer accepted = new FrameBuffer(1024);
  private final long[] rejects = new long[Reject.count()];
  private long implausible;
  private long lateDropped;

  /**
   * @param granularities the windows to count
   * @param calendar window boundaries
   * @param counterSpec the counter every window uses
   * @param decoder this shard's own decoder
   */
  public Shard(EnumSet<Granularity> granularities, ZoneCalendar calendar, CounterSpec counterSpec, FrameDecoder decoder) {
    this.decoder = decoder;
    List<WindowSet> sets = new ArrayList<>();
    for (Granularity g : granularities) {
      sets.add(new WindowSet(g, calendar, counterSpec));
    }
    this.windowSets = sets.toArray(new WindowSet[0]);
  }

  /** Decodes a chunk of {@code partition} and applies every batch of it that is ready, in order. */
  public void onChunk(Chunk chunk, Partition partition) {
    long t0 = System.nanoTime();
    byte[] b = chunk.data();
    int end = chunk.length();
    FrameBuffer frames = new FrameBuffer(end / 1024 + 16);
    int lines = 0;
    int lineStart = 0;
    FrameDecoder d = decoder;
    while (lineStart < end) {
      int newline = indexOfNewline(b, lineStart, end);
      lines++;
      if (d.decode(b, lineStart, newline - lineStart)) {
        frames.add(d.timestampSec(), d.uidHash());
      } else {
        rejects[d.reject().ordinal()]++;
      }
      lineStart = newline + 1;
    }
    rejects[Reject.TOO_LARGE.ordinal()] += chunk.oversizedLines();
    long t1 = System.nanoTime();
    if (partition.offer(new DecodedBatch(frames, chunk.sequence(), chunk.endOfPartition()))) {
      for (DecodedBatch batch = partition.poll(); batch != null; batch = partition.poll()) {
        apply(partition, batch);
      }
    }
    long t2 = System.nanoTime();
    stats.onChunk(lines + chunk.oversizedLines(), frames.size, end, t1 - t0, t2 - t0, rejects, implausible, lateDropped);
  }

  private FrameBuffer direct = new FrameBuffer(1024);
  private long directFrames;
  private long directBytes;
  private long directStartNanos;

  /**
   * Decodes one frame from a source that hands frames one by one (a Kafka record); the frames of
   * one partition gathered so far are applied by {@link #endBatch}. The clock is read once per
   * batch, not per frame.
   */
  public void onFrame(byte[] bytes, int offset, int length) {
    if (directFrames == 0) {
      directStartNanos = System.nanoTime();
    }
    FrameDecoder d = decoder;
    if (d.decode(bytes, offset, length)) {
      direct.add(d.timestampSec(), d.uidHash());
    } else {
      rejects[d.reject().ordinal()]++;
    }
    directFrames++;
    directBytes += length;
  }

  /** Applies the frames gathered by {@link #onFrame} to {@code partition}, in order. */
  public void endBatch(Partition partition) {
    endBatch(partition, false);
  }

  /** The partition's input ended (e.g. --exit-on-idle): applies what is gathered and finishes it. */
  public void endPartition(Partition partition) {
    endBatch(partition, true);
  }

  private void endBatch(Partition partition, boolean end) {
    long t1 = System.nanoTime();
    long directNanos = directFrames == 0 ? 0 : t1 - directStartNanos;
    FrameBuffer frames = direct;
    direct = new FrameBuffer(Math.max(1024, frames.size));
    if (partition.offer(new DecodedBatch(frames, partition.nextSequence(), end))) {
      for (DecodedBatch batch = partition.poll(); batch != null; batch = partition.poll()) {
        apply(partition, batch);
      }
    }
    long t2 = System.nanoTime();
    stats.onChunk(directFrames, frames.size, directBytes, directNanos, directNanos + (t2 - t1), rejects, implausible, lateDropped);
    directFrames = 0;
    directBytes = 0;
  }

  /** Applies one decoded batch: event-time checks, then counting. Also used by tests. */
  void apply(Partition partition, DecodedBatch batch) {
    accepted.clear();
    PartitionClock clock = partition.clock;
    long before = clock.implausible();
    clock.onFrames(batch.frames.timestamps, batch.frames.hashes, batch.frames.size, accepted);
    if (batch.end) {
      clock.onEnd(accepted);
    }
    implausible += clock.implausible() - before;
    synchronized (this) {
      count(accepted);
    }
    partition.publish(batch.end);
  }

  private void count(FrameBuffer f) {
    long[] ts = f.timestamps;
    long[] hashes = f.hashes;
    for (int i = 0; i < f.size; i++) {
      boolean dropped = false;
      for (WindowSet set : windowSets) {
        if (!set.add(ts[i], hashes[i])) {
          dropped = true;
        }
      }
      if (dropped) {
        lateDropped++;
      }
    }
  }

  private static final java.lang.invoke.VarHandle LONG_LE =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
  private static final long NEWLINES = 0x0a0a0a0a0a0a0a0aL;
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;

  /** The next '\n' at or after {@code from}, or {@code end}; eight bytes per step (SWAR). */
  static int indexOfNewline(byte[] b, int from, int end) {
    int i = from;
    for (; i + 8 <= end; i += 8) {
      long x = (long) LONG_LE.get(b, i) ^ NEWLINES;
      long zero = (x - ONES) & ~x & HIGHS; // the lowest flagged byte is always a true '\n'
      if (zero != 0) {
        return i + (Long.numberOfTrailingZeros(zero) >>> 3);
      }
    }
    for (; i < end; i++) {
      if (b[i] == '\n') {
        return i;
      }
    }
    return end;
  }

  /** This shard's stats (readable from any thread). */
  public ShardStats stats() {
    return stats;
  }

  /** Sees every window held, under this shard's lock. */
  public synchronized void forEachWindow(WindowVisitor visitor) {
    for (WindowSet set : windowSets) {
      for (WindowState w : set.windows()) {
        visitor.visit(w);
      }
    }
  }

  /** Releases the windows of {@code g} ending at or before {@code endSec}. */
  public synchronized void release(Granularity g, long endSec) {
    for (WindowSet set : windowSets) {
      if (set.granularity() == g) {
        set.release(endSec);
      }
    }
  }

  /**
   * Writes the windows of all shards merged (a lossless union) for a checkpoint: per granularity
   * its ordinal, the released line, the window count, then per window start, end, frames and
   * counter. Also the shards' summed stats. Call while the shards are quiescent.
   */
  public static void writeState(List<Shard> shards, java.io.DataOutput out) throws java.io.IOException {
    Shard first = shards.get(0);
    out.writeInt(first.windowSets.length);
    for (int k = 0; k < first.windowSets.length; k++) {
      Granularity g = first.windowSets[k].granularity();
      java.util.Map<Long, WindowState> merged = new java.util.TreeMap<>();
      long released = Long.MIN_VALUE;
      java.util.Map<Long, uniqcount.count.DistinctCounter> counters = new java.util.HashMap<>();
      java.util.Map<Long, Long> frames = new java.util.HashMap<>();
      for (Shard s : shards) {
        synchronized (s) {
          WindowSet set = s.windowSets[k];
          released = Math.max(released, set.releasedEndSec());
          for (WindowState w : set.windows()) {
            merged.putIfAbsent(w.startSec(), w);
            counters.merge(w.startSec(), w.counter().copy(), (a, b) -> a.merge(b));
            frames.merge(w.startSec(), w.frames(), Long::sum);
          }
        }
      }
      out.writeByte(g.ordinal());
      out.writeLong(released);
      out.writeInt(merged.size());
      for (WindowState w : merged.values()) {
        out.writeLong(w.startSec());
        out.writeLong(w.endSec());
        out.writeLong(frames.get(w.startSec()));
        counters.get(w.startSec()).writeTo(out);
      }
    }
    long[] totals = new long[7 + Reject.count()];
    for (Shard s : shards) {
      ShardStats st = s.stats;
      totals[0] += st.frames();
      totals[1] += st.accepted();
      totals[2] += st.bytes();
      totals[3] += st.decodeNanos();
      totals[4] += st.busyNanos();
      totals[5] += s.implausible;
      totals[6] += s.lateDropped;
      for (int i = 0; i < Reject.count(); i++) {
        totals[7 + i] += s.rejects[i];
      }
    }
    out.writeInt(totals.length);
    for (long v : totals) {
      out.writeLong(v);
    }
  }

  /** Reads what {@link #writeState} wrote into this (fresh) shard. */
  public synchronized void readState(java.io.DataInput in, CounterSpec spec) throws java.io.IOException {
    int sets = in.readInt();
    if (sets != windowSets.length) {
      throw new java.io.IOException("checkpoint has " + sets + " window kinds, this run " + windowSets.length);
    }
    for (int k = 0; k < sets; k++) {
      int ordinal = in.readByte();
      if (ordinal != windowSets[k].granularity().ordinal()) {
        throw new java.io.IOException("checkpoint window kinds differ");
      }
      windowSets[k].restoreReleased(in.readLong());
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        long start = in.readLong();
        long end = in.readLong();
        long frames = in.readLong();
        windowSets[k].restore(start, end, spec.readCounter(in), frames);
      }
    }
    int n = in.readInt();
    long[] totals = new long[n];
    for (int i = 0; i < n; i++) {
      totals[i] = in.readLong();
    }
    if (n != 7 + Reject.count()) {
      throw new java.io.IOException("checkpoint stats have " + n + " fields");
    }
    implausible = totals[5];
    lateDropped = totals[6];
    System.arraycopy(totals, 7, rejects, 0, Reject.count());
    stats.onChunk(totals[0], totals[1], totals[2], totals[3], totals[4], rejects, implausible, lateDropped);
  }

  /** Windows held now (all granularities). */
  public synchronized int windowCount() {
    int n = 0;
    for (WindowSet set : windowSets) {
      n += set.windows().size();
    }
    return n;
  }

  /** Receives windows from {@link #forEachWindow}; must not keep references to their counters. */
  public interface WindowVisitor {
    /** One window. */
    void visit(WindowState window);
  }

  /** Per-shard counters, written by the shard's thread once per chunk, read by anyone. */
  public static final class ShardStats {
    private static final int FRAMES = 0;
    private static final int ACCEPTED = 1;
    private static final int BYTES = 2;
    private static final int DECODE_NANOS = 3;
    private static final int BUSY_NANOS = 4;
    private static final int IMPLAUSIBLE = 5;
    private static final int LATE_DROPPED = 6;
    private static final int REJECTS = 7;

    private final AtomicLongArray values = new AtomicLongArray(REJECTS + Reject.count());

    void onChunk(long frames, long accepted, long bytes, long decodeNanos, long busyNanos, long[] rejectTotals,
        long implausible, long lateDropped) {
      bump(FRAMES, frames);
      bump(ACCEPTED, accepted);
      bump(BYTES, bytes);
      bump(DECODE_NANOS, decodeNanos);
      bump(BUSY_NANOS, busyNanos);
      values.lazySet(IMPLAUSIBLE, implausible);
      values.lazySet(LATE_DROPPED, lateDropped);
      for (int i = 0; i < rejectTotals.length; i++) {
        values.lazySet(REJECTS + i, rejectTotals[i]);
      }
    }

    private void bump(int index, long delta) {
      values.lazySet(index, values.get(index) + delta);
    }

    /** Frames read (lines, including rejected ones). */
    public long frames() {
      return values.get(FRAMES);
    }

    /** Frames decoded with a valid uid and ts. */
    public long accepted() {
      return values.get(ACCEPTED);
    }

    /** Input bytes processed. */
    public long bytes() {
      return values.get(BYTES);
    }

    /** Nanoseconds spent decoding frames. */
    public long decodeNanos() {
      return values.get(DECODE_NANOS);
    }

    /** Nanoseconds spent decoding and counting. */
    public long busyNanos() {
      return values.get(BUSY_NANOS);
    }

    /** Valid frames whose ts was not believed (never counted). */
    public long implausible() {
      return values.get(IMPLAUSIBLE);
    }

    /** Frames refused by at least one window whose late horizon had passed. */
    public long lateDropped() {
      return values.get(LATE_DROPPED);
    }

    /** Frames rejected for {@code reason}. */
    public long rejected(Reject reason) {
      return values.get(REJECTS + reason.ordinal());
    }
  }
}
