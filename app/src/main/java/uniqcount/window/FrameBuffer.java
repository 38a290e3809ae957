package uniqcount.window;

import java.util.Arrays;

/**
 * A growable run of (ts, uid hash) pairs: decoded frames, or the accepted ones — these also with
 * the partition's watermark as of each frame ({@link #add(long, long, long)}).
 */
public final class FrameBuffer {
  long[] timestamps;
  long[] hashes;
  /** Per accepted frame, its partition's watermark right after it; null until the first such frame. */
  long[] watermarks;
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

  /** Appends one accepted frame with its partition's watermark as of that frame. */
  void add(long timestampSec, long hash, long watermarkSec) {
    if (watermarks == null || watermarks.length < timestamps.length) {
      watermarks = watermarks == null ? new long[timestamps.length] : Arrays.copyOf(watermarks, timestamps.length);
    }
    if (size == timestamps.length) {
      timestamps = Arrays.copyOf(timestamps, size * 2);
      hashes = Arrays.copyOf(hashes, size * 2);
      watermarks = Arrays.copyOf(watermarks, size * 2);
    }
    timestamps[size] = timestampSec;
    hashes[size] = hash;
    watermarks[size] = watermarkSec;
    size++;
  }

  /** Number of frames. */
  public int size() {
    return size;
  }

  /** Drops the unused capacity (a batch held for a while costs 16 bytes per frame, not up to twice that). */
  void trim() {
    if (size < timestamps.length) {
      timestamps = Arrays.copyOf(timestamps, size);
      hashes = Arrays.copyOf(hashes, size);
    }
  }

  /** Empties the buffer. */
  public void clear() {
    size = 0;
  }
}
