package uniqcount.emit;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import uniqcount.count.CounterSpec;
import uniqcount.count.DistinctCounter;
import uniqcount.window.Clock;
import uniqcount.window.EventTimePolicy;
import uniqcount.window.Granularity;
import uniqcount.window.Partition;
import uniqcount.window.Shard;

/**
 * Decides what to publish and when, from the shards' windows and the partitions' watermarks.
 * Called by one thread: {@link #tick()} every few hundred milliseconds, {@link #flush()} once at
 * the end of a finite input.
 *
 * <p>The global watermark is the minimum over active partitions (started, not finished, and not
 * idle for longer than the idle timeout) and never goes back. Per window:
 *
 * <ul>
 *   <li>{@code early}: while open, when its frame count changed, at most once per early interval;
 *   <li>{@code final}: exactly once, when the watermark reaches end + lateness (or at the end of
 *       input);
 *   <li>{@code update}: after final, when late frames changed it, at most once per early interval
 *       and always before its state is released;
 *   <li>released once the watermark reaches end + lateness + the granularity's late horizon.
 * </ul>
 *
 * Every record of a window carries the next revision, starting at 0. Shards are merged (a union
 * of counters) only for the windows being published.
 */
public final class Emitter {
  private final List<Shard> shards;
  private final List<Partition> partitions;
  private final EventTimePolicy policy;
  private final CounterSpec spec;
  private final Clock clock;
  private final boolean early;
  private final long intervalNanos;
  private final Map<Granularity, Map<Long, Emitted>> emitted = new EnumMap<>(Granularity.class);
  private long watermarkSec = Long.MIN_VALUE;

  /**
   * @param early whether to publish early results
   * @param intervalNanos least time between two early or update records of one window
   */
  public Emitter(List<Shard> shards, List<Partition> partitions, EventTimePolicy policy, CounterSpec spec, Clock clock,
      boolean early, long intervalNanos) {
    this.shards = shards;
    this.partitions = partitions;
    this.policy = policy;
    this.spec = spec;
    this.clock = clock;
    this.early = early;
    this.intervalNanos = intervalNanos;
    for (Granularity g : Granularity.values()) {
      emitted.put(g, new HashMap<>());
    }
  }

  /** The global watermark (unix seconds), or {@link Long#MIN_VALUE} before there is one. */
  public long watermarkSec() {
    return watermarkSec;
  }

  /** One round while input flows: records to publish, ordered by window then start. */
  public List<ResultRecord> tick() {
    return round(false);
  }

  /** End of a finite input: every window's final (or update) record. */
  public List<ResultRecord> flush() {
    return round(true);
  }

  private List<ResultRecord> round(boolean end) {
    long now = clock.nanoTime();
    if (!end) {
      advanceWatermark(now);
    }
    // Pass 1: frame totals per window, to see what changed.
    Map<Granularity, Map<Long, long[]>> totals = new EnumMap<>(Granularity.class);
    for (Shard shard : shards) {
      shard.forEachWindow(w -> {
        long[] t = totals.computeIfAbsent(w.granularity(), g -> new HashMap<>())
            .computeIfAbsent(w.startSec(), s -> new long[] {0, w.endSec()});
        t[0] += w.frames();
      });
    }
    Map<Granularity, Map<Long, Publish>> due = new EnumMap<>(Granularity.class);
    for (Map.Entry<Granularity, Map<Long, long[]>> byGranularity : totals.entrySet()) {
      Granularity g = byGranularity.getKey();
      for (Map.Entry<Long, long[]> window : byGranularity.getValue().entrySet()) {
        long frames = window.getValue()[0];
        long endSec = window.getValue()[1];
        Emitted e = emitted.get(g).get(window.getKey());
        ResultRecord.Status status = decide(g, endSec, frames, e, now, end);
        if (status != null) {
          due.computeIfAbsent(g, k -> new TreeMap<>()).put(window.getKey(), new Publish(status, endSec));
        }
      }
    }
    // Pass 2: merge the shards' counters of the windows due.
    for (Shard shard : shards) {
      shard.forEachWindow(w -> {
        Map<Long, Publish> m = due.get(w.granularity());
        Publish p = m == null ? null : m.get(w.startSec());
        if (p != null) {
          p.counter = p.counter == null ? w.counter().copy() : p.counter.merge(w.counter());
          p.frames += w.frames();
        }
      });
    }
    List<ResultRecord> out = new ArrayList<>();
    for (Map.Entry<Granularity, Map<Long, Publish>> byGranularity : due.entrySet()) {
      Granularity g = byGranularity.getKey();
      for (Map.Entry<Long, Publish> window : byGranularity.getValue().entrySet()) {
        Publish p = window.getValue();
        Emitted e = emitted.get(g).computeIfAbsent(window.getKey(), k -> new Emitted());
        out.add(new ResultRecord(g.label(), window.getKey(), p.endSec, p.counter.estimate(), p.frames, p.status,
            e.revision++, spec.kind().label(), p.counter.relativeStandardError()));
        e.frames = p.frames;
        e.endSec = p.endSec;
        e.lastNanos = now;
        e.status = p.status;
        e.uniques = p.counter.estimate();
        e.rse = p.counter.relativeStandardError();
        e.isFinal |= p.status != ResultRecord.Status.EARLY;
      }
    }
    if (!end) {
      release();
    }
    return out;
  }

  private ResultRecord.Status decide(Granularity g, long endSec, long frames, Emitted e, long now, boolean end) {
    boolean closed = end || (watermarkSec != Long.MIN_VALUE && endSec + policy.latenessSec() <= watermarkSec);
    boolean changed = e == null || e.frames != frames;
    if (closed) {
      if (e == null || !e.isFinal) {
        return ResultRecord.Status.FINAL;
      }
      boolean releasing = !end && endSec + policy.latenessSec() + policy.horizonSec(g) <= watermarkSec;
      if (changed && (end || releasing || now - e.lastNanos >= intervalNanos)) {
        return ResultRecord.Status.UPDATE;
      }
      return null;
    }
    if (early && changed && (e == null || now - e.lastNanos >= intervalNanos)) {
      return ResultRecord.Status.EARLY;
    }
    return null;
  }

  private void advanceWatermark(long now) {
    long min = Long.MAX_VALUE;
    boolean any = false;
    for (Partition p : partitions) {
      if (p.started() && !p.finished() && now - p.lastActivityNanos() < policy.idleTimeoutNanos()) {
        any = true;
        min = Math.min(min, p.watermarkSec());
      }
    }
    if (any && min != Long.MIN_VALUE && min > watermarkSec) {
      watermarkSec = min;
    }
  }

  private void release() {
    if (watermarkSec == Long.MIN_VALUE) {
      return;
    }
    for (Granularity g : Granularity.values()) {
      long cut = watermarkSec - policy.latenessSec() - policy.horizonSec(g);
      for (Shard shard : shards) {
        shard.release(g, cut);
      }
      for (Iterator<Map.Entry<Long, Emitted>> it = emitted.get(g).entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<Long, Emitted> e = it.next();
        if (e.getValue().endSec <= cut) {
          it.remove();
        }
      }
    }
  }

  /**
   * Writes the watermark and what was published per window (revision, frames, final or not) for
   * a checkpoint; call between rounds.
   */
  public void writeState(java.io.DataOutput out) throws java.io.IOException {
    out.writeLong(watermarkSec);
    for (Granularity g : Granularity.values()) {
      Map<Long, Emitted> m = emitted.get(g);
      out.writeInt(m.size());
      for (Map.Entry<Long, Emitted> e : new TreeMap<>(m).entrySet()) {
        out.writeLong(e.getKey());
        out.writeInt(e.getValue().revision);
        out.writeLong(e.getValue().frames);
        out.writeBoolean(e.getValue().isFinal);
        out.writeLong(e.getValue().endSec);
        out.writeByte(e.getValue().status.ordinal());
        out.writeLong(e.getValue().uniques);
        out.writeDouble(e.getValue().rse);
      }
    }
  }

  /** Restores what {@link #writeState} wrote. */
  public void readState(java.io.DataInput in) throws java.io.IOException {
    watermarkSec = in.readLong();
    for (Granularity g : Granularity.values()) {
      Map<Long, Emitted> m = emitted.get(g);
      m.clear();
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        long start = in.readLong();
        Emitted e = new Emitted();
        e.revision = in.readInt();
        e.frames = in.readLong();
        e.isFinal = in.readBoolean();
        e.endSec = in.readLong();
        e.status = ResultRecord.Status.values()[in.readByte()];
        e.uniques = in.readLong();
        e.rse = in.readDouble();
        m.put(start, e);
      }
    }
  }

  /**
   * The last record published for every window still held, as it was (same revision, same
   * value): after a restart, so that a reader of a sink that cannot be rewound (stdout) sees the
   * whole current state again.
   */
  public List<ResultRecord> republish() {
    List<ResultRecord> out = new ArrayList<>();
    for (Granularity g : Granularity.values()) {
      for (Map.Entry<Long, Emitted> e : new TreeMap<>(emitted.get(g)).entrySet()) {
        Emitted x = e.getValue();
        if (x.revision > 0) {
          out.add(new ResultRecord(g.label(), e.getKey(), x.endSec, x.uniques, x.frames, x.status, x.revision - 1,
              spec.kind().label(), x.rse));
        }
      }
    }
    return out;
  }

  /** What was last published for a window. */
  private static final class Emitted {
    int revision;
    long frames = -1;
    long lastNanos;
    boolean isFinal;
    long endSec = Long.MAX_VALUE;
    ResultRecord.Status status = ResultRecord.Status.EARLY;
    long uniques;
    double rse;
  }

  /** A window due for publishing in this round. */
  private static final class Publish {
    final ResultRecord.Status status;
    final long endSec;
    DistinctCounter counter;
    long frames;

    Publish(ResultRecord.Status status, long endSec) {
      this.status = status;
      this.endSec = endSec;
    }
  }
}
