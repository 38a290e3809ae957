package uniqcount.window;

import uniqcount.count.CounterSpec;

/**
 * The latest committed state of one input partition, as the merge step sees it: built from the
 * records its owner commits (its clock, then each changed window), wherever that owner runs.
 * Read and updated by one thread (the merging member's), except {@link #windows()}, which locks.
 */
public final class PartitionView implements Contributor {
  private final Windows windows;
  private final CounterSpec spec;
  private long watermarkSec = Long.MIN_VALUE;
  private long nextOffset = -1;
  private boolean idle;
  private boolean clocked;

  /** An empty view, waiting for its partition's records. */
  public PartitionView(Windows windows, CounterSpec spec) {
    this.windows = windows;
    this.spec = spec;
  }

  /** The owner's clock record: where it read up to, its watermark, idleness and release lines. */
  public void clock(long nextOffset, long watermarkSec, boolean idle, long[] releasedEndSec) {
    this.nextOffset = nextOffset;
    this.watermarkSec = watermarkSec;
    this.idle = idle;
    this.clocked = true;
    windows.releaseTo(releasedEndSec);
  }

  /** The owner's latest image of one window. */
  public void window(Windows.WindowImage image) {
    windows.put(image, spec);
  }

  /** The owner released (deleted) one window. */
  public void removed(Granularity g, long startSec) {
    windows.remove(g, startSec);
  }

  /** Whether a clock record arrived: the partition is known to the merge step. */
  public boolean clocked() {
    return clocked;
  }

  /** The next input offset its owner will read (everything before it is in this view), or -1. */
  public long nextOffset() {
    return nextOffset;
  }

  @Override
  public Windows windows() {
    return windows;
  }

  @Override
  public long watermarkSec() {
    return watermarkSec;
  }

  /** Held back unless its owner said it was idle (an owner that died holds it back until the next owner reports). */
  @Override
  public boolean holdsWatermark(long nowNanos, long idleTimeoutNanos) {
    return clocked && !idle;
  }

  @Override
  public boolean finished() {
    return false;
  }
}
