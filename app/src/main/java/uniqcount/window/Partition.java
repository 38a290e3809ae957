package uniqcount.window;

import java.util.HashMap;
import java.util.Map;

/**
 * One input partition (a file, stdin, later a Kafka partition): its event-time state and the
 * order in which its decoded batches are applied.
 *
 * <p>Chunks of one partition are decoded in parallel by any worker, but their frames must meet
 * the partition's event-time state in input order. {@link #offer} queues a decoded batch; the
 * worker that finds the next batch in sequence becomes the drainer and applies every batch that
 * is ready, in order ({@link #poll}); the others go back to decoding. The drainer publishes the
 * watermark only after the batch's frames are counted, so a window is never finalised ahead of
 * frames already read.
 */
public final class Partition {
  private final int id;
  final PartitionClock clock;
  private final Map<Long, DecodedBatch> pending = new HashMap<>();
  private long next;
  private long issued;
  private boolean draining;
  private volatile long watermarkSec = Long.MIN_VALUE;
  private volatile long lastActivityNanos;
  private volatile boolean started;
  private volatile boolean finished;
  private final Clock wallClock;

  /** A partition with the given policy and clock. */
  public Partition(int id, EventTimePolicy policy, Clock clock) {
    this.id = id;
    this.clock = new PartitionClock(policy, clock);
    this.wallClock = clock;
  }

  /** Partition number. */
  public int id() {
    return id;
  }

  /**
   * Data is expected on this partition (a Kafka partition was assigned): from now on it holds the
   * watermark back until it has data, unless it stays idle for the idle timeout.
   */
  public void expect() {
    lastActivityNanos = wallClock.nanoTime();
    started = true;
  }

  /** The next sequence number, for sources that feed a partition from one thread at a time. */
  synchronized long nextSequence() {
    return issued++;
  }

  /** Queues a decoded batch; returns true if the caller must now drain with {@link #poll}. */
  synchronized boolean offer(DecodedBatch batch) {
    started = true;
    lastActivityNanos = wallClock.nanoTime();
    pending.put(batch.sequence, batch);
    if (draining || batch.sequence != next) {
      return false;
    }
    draining = true;
    return true;
  }

  /** The next batch in order, or null (and the caller stops draining). */
  synchronized DecodedBatch poll() {
    DecodedBatch b = pending.remove(next);
    if (b == null) {
      draining = false;
      return null;
    }
    next++;
    return b;
  }

  /** Writes this partition's event-time state (call while it is quiescent). */
  public synchronized void writeState(java.io.DataOutput out) throws java.io.IOException {
    out.writeBoolean(finished);
    clock.writeState(out);
  }

  /**
   * Restores what {@link #writeState} wrote; {@code keepFinished}: a finished input (a file) stays
   * finished, while a Kafka partition that ended with a run gets new data in the next.
   */
  public synchronized void readState(java.io.DataInput in, boolean keepFinished) throws java.io.IOException {
    boolean wasFinished = in.readBoolean();
    clock.readState(in);
    watermarkSec = clock.watermarkSec();
    if (wasFinished && keepFinished) {
      started = true;
      finished = true;
    }
  }

  void publish(boolean end) {
    watermarkSec = clock.watermarkSec();
    if (end) {
      finished = true;
    }
  }

  /** The largest believed ts of frames already counted, or {@link Long#MIN_VALUE}. */
  public long watermarkSec() {
    return watermarkSec;
  }

  /** Whether data arrived or is expected. */
  public boolean started() {
    return started;
  }

  /** Whether the partition's input ended and all of it is counted. */
  public boolean finished() {
    return finished;
  }

  /** When data last arrived (clock nanos). */
  public long lastActivityNanos() {
    return lastActivityNanos;
  }
}
