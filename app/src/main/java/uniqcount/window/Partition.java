package uniqcount.window;

import java.util.HashMap;
import java.util.Map;
import uniqcount.count.CounterSpec;

/**
 * One input partition (a file, stdin, a Kafka partition) and the unit that owns counting state:
 * its event-time clock, its windows and counters, and the order in which its decoded batches
 * are applied. Everything this partition contributed to every window lives here, so its state can
 * be snapshotted ({@link #state()}), published as a mergeable partial, and restored elsewhere
 * ({@link #restore}); the emitter merges partitions, here and, later, across instances.
 *
 * <p>Batches of one partition may be decoded in parallel by any worker, but their frames must
 * meet the partition's clock in input order. {@link #submit} queues a decoded batch; the worker
 * that finds the next batch in sequence becomes the drainer and applies every batch that is
 * ready, in order; the others go back to decoding. The drainer publishes the watermark only
 * after the batch's frames are counted, so a window is never finalised ahead of frames of this
 * partition already read. (A file that continues another starts from that one's watermark: a
 * final published at a file boundary may meet the next file's late frames as updates.)
 */
public final class Partition implements Contributor {
  private final PartitionClock clock;
  private final Windows windows;
  private final Clock wallClock;
  private final Map<Long, DecodedBatch> pending = new HashMap<>();
  private final FrameBuffer accepted = new FrameBuffer(1024);
  /** Most decoded batches that may wait to be applied (a few MB of frames). */
  private static final int MAX_PENDING = 64;
  private long next;
  private long issued;
  private boolean draining;
  private long lateDroppedTotal;
  /** Files read as one history: this partition's frames are applied only after those of the one before. */
  private Partition predecessor;
  private Partition successor;
  /** Read ahead of its predecessor by another reader (--read-threads): its batches wait, bounded by the readers. */
  private boolean readAhead;
  /** Frames in the pending batches. */
  private long pendingFrames;
  private boolean continued;
  private volatile long watermarkSec = Long.MIN_VALUE;
  private volatile long implausible;
  private volatile long lateDropped;
  /** What a restore brought along (counted by an earlier run or another instance). */
  private volatile long restoredImplausible;
  private volatile long restoredLateDropped;
  private volatile long lastActivityNanos;
  private volatile boolean started;
  private volatile boolean finished;

  /**
   * @param policy which timestamps to believe
   * @param clock wall clock (live input, idleness)
   * @param windows this partition's own windows, empty
   */
  public Partition(EventTimePolicy policy, Clock clock, Windows windows) {
    this.clock = new PartitionClock(policy, clock);
    this.wallClock = clock;
    this.windows = windows;
  }

  /**
   * Data is expected on this partition (a Kafka partition was assigned): from now on it holds the
   * watermark back until it has data, unless it stays idle for the idle timeout.
   */
  public void expect() {
    lastActivityNanos = wallClock.nanoTime();
    started = true;
  }

  /**
   * Makes this partition continue {@code before} as one history (files read in the order given):
   * its batches are applied only once {@code before} has ended, and its event time starts where
   * that of {@code before} ended. So which frames count never depends on how the work was spread
   * over threads or time. Call before any batch is submitted.
   */
  public void follow(Partition before) {
    follow(before, false);
  }

  /**
   * As {@link #follow(Partition)}; {@code readAhead}: this input may be read while {@code before}
   * still is, so its batches may wait long. Workers then never wait for room here (the input
   * before needs them); whoever reads it bounds what waits ({@link #pendingFrames()}).
   */
  public void follow(Partition before, boolean readAhead) {
    this.predecessor = before;
    this.readAhead = readAhead;
    before.successor = this;
  }

  /** Frames decoded and waiting to be applied (read ahead: until the partition before ends). */
  public synchronized long pendingFrames() {
    return pendingFrames;
  }

  /** The next sequence number, for sources that feed a partition from one thread at a time. */
  public synchronized long nextSequence() {
    return issued++;
  }

  /**
   * Applies a decoded batch in input order: queues it and, if it is the next one and nobody is
   * draining, applies it and every queued batch after it. Any thread may call this.
   */
  public void submit(DecodedBatch batch) {
    awaitRoom(batch.sequence);
    Partition p = this;
    boolean drain = offer(batch);
    while (drain) {
      for (DecodedBatch b = p.poll(); b != null; b = p.poll()) {
        p.apply(b);
      }
      // an ended partition hands over to the one that continues it, whose batches may be waiting
      Partition next = p.successor;
      drain = next != null && p.finished && next.claim();
      p = next;
    }
  }

  /**
   * Back-pressure: while {@value #MAX_PENDING} batches wait (decoding ran ahead of counting, or
   * this input waits for the one before it to end), a worker waits before adding more — except
   * with the batch that is needed next, which always gets in, so the queue always drains.
   */
  private synchronized void awaitRoom(long sequence) {
    // an input read ahead of the one before it (--read-threads) holds its batches until that one
    // ends: its reader bounds them, a worker never waits for them (the one before needs workers)
    while (pending.size() >= MAX_PENDING && sequence != next && !(readAhead && !predecessor.finished)) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting to apply a batch", e);
      }
    }
  }

  private synchronized boolean offer(DecodedBatch batch) {
    started = true;
    lastActivityNanos = wallClock.nanoTime();
    if (readAhead && !predecessor.finished) {
      batch.frames.trim(); // it may wait a long time
    }
    pending.put(batch.sequence, batch);
    pendingFrames += batch.frames.size;
    return claim();
  }

  /** Becomes the drainer if the next batch is here, nobody drains, and the partition before has ended. */
  private synchronized boolean claim() {
    if (draining || !pending.containsKey(next) || predecessor != null && !predecessor.finished) {
      return false;
    }
    draining = true;
    return true;
  }

  private synchronized DecodedBatch poll() {
    DecodedBatch b = pending.remove(next);
    notifyAll(); // room for a waiting worker, or the batch it holds is next now
    if (b == null) {
      draining = false;
      return null;
    }
    pendingFrames -= b.frames.size;
    next++;
    return b;
  }

  /** Event-time checks, then counting; run by the drainer only. */
  private void apply(DecodedBatch batch) {
    if (predecessor != null && !continued) {
      continued = true;
      clock.continueFrom(predecessor.clock);
    }
    if (predecessor != null) {
      lastActivityNanos = wallClock.nanoTime(); // read ahead long ago, counted now: active now
    }
    accepted.clear();
    FrameBuffer f = batch.frames;
    clock.onFrames(f.timestamps, f.hashes, f.size, accepted);
    if (batch.end && successor == null) {
      clock.onEnd(accepted); // a file followed by another hands its held frames on instead
    }
    lateDroppedTotal += windows.count(accepted);
    implausible = clock.implausible();
    lateDropped = lateDroppedTotal;
    watermarkSec = clock.watermarkSec();
    if (batch.end) {
      finished = true;
    }
  }

  /** This partition's windows (the emitter reads, releases and folds them). */
  @Override
  public Windows windows() {
    return windows;
  }

  /** The largest believed ts of frames already counted, or {@link Long#MIN_VALUE}. */
  @Override
  public long watermarkSec() {
    return watermarkSec;
  }

  /** Whether data arrived or is expected. */
  public boolean started() {
    return started;
  }

  @Override
  public boolean holdsWatermark(long nowNanos, long idleTimeoutNanos) {
    // a file read ahead of the one it continues has no event time of its own yet: that one's counts
    return started && !finished && (predecessor == null || predecessor.finished)
        && nowNanos - lastActivityNanos < idleTimeoutNanos;
  }

  /** Its event-time clock as values (no batch may be applied meanwhile). */
  public PartitionClock.State clockState() {
    return clock.state();
  }

  /** Whether the partition's input ended and all of it is counted. */
  @Override
  public boolean finished() {
    return finished;
  }

  /** When data last arrived (clock nanos). */
  public long lastActivityNanos() {
    return lastActivityNanos;
  }

  /** Valid frames whose ts was not believed (never counted). */
  public long implausible() {
    return implausible;
  }

  /** Frames refused by at least one window whose late horizon had passed. */
  public long lateDropped() {
    return lateDropped;
  }

  /** {@link #implausible()} of the frames applied here, since the restore: what a process-wide counter adds. */
  public long implausibleHere() {
    return implausible - restoredImplausible;
  }

  /** {@link #lateDropped()} of the frames applied here, since the restore. */
  public long lateDroppedHere() {
    return lateDropped - restoredLateDropped;
  }

  /**
   * Everything this partition holds, as values. The caller guarantees that no batch is being
   * applied meanwhile (the engine's checkpoint barrier: every batch handed out is applied, none
   * is in flight); its windows are copied under their lock.
   */
  public State state() {
    return new State(finished, clock.state(), lateDroppedTotal, windows.state());
  }

  /**
   * Restores a state taken by {@link #state()} into this fresh partition; {@code keepFinished}: a
   * finished input (a file) stays finished, while a Kafka partition that ended with a run gets
   * new data in the next. Call before any batch is submitted.
   *
   * @throws IllegalArgumentException if the state does not fit this run (windows, counter)
   */
  public void restore(State s, CounterSpec spec, boolean keepFinished) {
    clock.restore(s.clock());
    windows.restore(s.windows(), spec);
    lateDroppedTotal = s.lateDropped();
    lateDropped = lateDroppedTotal;
    implausible = clock.implausible();
    restoredLateDropped = lateDropped;
    restoredImplausible = implausible;
    watermarkSec = clock.watermarkSec();
    if (s.finished() && keepFinished) {
      started = true;
      finished = true;
    }
  }

  /**
   * A partition's state as values: what it contributed to every window, with the clock that
   * decides what it will contribute next.
   *
   * @param finished whether its input had ended
   * @param clock its event-time clock
   * @param lateDropped frames it refused as beyond a window's horizon
   * @param windows its windows and counters
   */
  public record State(boolean finished, PartitionClock.State clock, long lateDropped, Windows.State windows) {}
}
