package uniqcount.window;

import java.util.Arrays;

/** A growable run of (ts, uid hash) pairs: decoded frames, or the accepted ones. */
public final class FrameBuffer {
  long[] timestamps;
  long[] hashes;
  int size;

  /** An empty buffer. */
  public FrameBuffer(int capacity) {
    timestamps = new long[Math.max(16, capacity)];
    hashes = new long[timestamps.length];
  }

  /** Appends one frame. */
  public void add(long timestampSec, long hash) {
    if (size == timestamps.length) {
      timestamps = Arrays.copyOf(timestamps, size * 2);
      hashes = Arrays.copyOf(hashes, size * 2);
    }
    timestamps[size] = timestampSec;
    hashes[size] = hash;
    size++;
  }

  /** Number of frames. */
  public int size() {
    return size;
  }

  /** Empties the buffer. */
  public void clear() {
    size = 0;
  }
}
