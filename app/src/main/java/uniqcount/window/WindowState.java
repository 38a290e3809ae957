package uniqcount.window;

import uniqcount.count.DistinctCounter;

/** One window of one owner ({@link Windows}): its bounds, its distinct counter and its frame count. */
public final class WindowState {
  private final Granularity granularity;
  private final long startSec;
  private final long endSec;
  DistinctCounter counter;
  long frames;

  WindowState(Granularity granularity, long startSec, long endSec, DistinctCounter counter) {
    this.granularity = granularity;
    this.startSec = startSec;
    this.endSec = endSec;
    this.counter = counter;
  }

  /** The window's granularity. */
  public Granularity granularity() {
    return granularity;
  }

  /** First second of the window (unix seconds). */
  public long startSec() {
    return startSec;
  }

  /** First second after the window (unix seconds). */
  public long endSec() {
    return endSec;
  }

  /** The distinct counter; owned by the thread holding its {@link Windows}. */
  public DistinctCounter counter() {
    return counter;
  }

  /** Frames counted in this window (duplicates included). */
  public long frames() {
    return frames;
  }

  boolean contains(long timestampSec) {
    return timestampSec >= startSec && timestampSec < endSec;
  }
}
