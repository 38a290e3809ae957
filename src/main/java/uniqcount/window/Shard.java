package uniqcount.window;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import uniqcount.count.CounterSpec;
import uniqcount.frame.FrameDecoder;
import uniqcount.frame.Reject;
import uniqcount.source.Chunk;

/**
 * One worker's state: a frame decoder, its own windows and counters, its own stats. Only the
 * owning thread calls {@link #onChunk}; stats may be read from any thread.
 *
 * <p>A chunk is processed in two passes: decode every line into (ts, uid hash) pairs, then update
 * the windows. This keeps each loop tight and measures the decode share of the time.
 */
public final class Shard {
  private final FrameDecoder decoder;
  private final WindowSet[] windowSets;
  private final ShardStats stats = new ShardStats();
  private long[] timestamps = new long[1024];
  private long[] hashes = new long[1024];
  private final long[] rejects = new long[Reject.count()];

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

  /** Decodes and counts every line of the chunk. */
  public void onChunk(Chunk chunk) {
    long t0 = System.nanoTime();
    byte[] b = chunk.data();
    int end = chunk.length();
    int accepted = 0;
    int lines = 0;
    int lineStart = 0;
    FrameDecoder d = decoder;
    while (lineStart < end) {
      int newline = indexOfNewline(b, lineStart, end);
      lines++;
      if (d.decode(b, lineStart, newline - lineStart)) {
        if (accepted == timestamps.length) {
          timestamps = java.util.Arrays.copyOf(timestamps, accepted * 2);
          hashes = java.util.Arrays.copyOf(hashes, accepted * 2);
        }
        timestamps[accepted] = d.timestampSec();
        hashes[accepted] = d.uidHash();
        accepted++;
      } else {
        rejects[d.reject().ordinal()]++;
      }
      lineStart = newline + 1;
    }
    long t1 = System.nanoTime();
    for (int i = 0; i < accepted; i++) {
      long ts = timestamps[i];
      long hash = hashes[i];
      for (WindowSet set : windowSets) {
        set.add(ts, hash);
      }
    }
    long t2 = System.nanoTime();
    rejects[Reject.TOO_LARGE.ordinal()] += chunk.oversizedLines();
    stats.onChunk(lines + chunk.oversizedLines(), accepted, end, t1 - t0, t2 - t0, rejects);
  }

  private static int indexOfNewline(byte[] b, int from, int end) {
    for (int i = from; i < end; i++) {
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

  /** The windows of {@code g} (empty if {@code g} is not counted); read only after the shard stops. */
  public Collection<WindowState> windows(Granularity g) {
    for (WindowSet set : windowSets) {
      if (set.granularity() == g) {
        return set.windows();
      }
    }
    return List.of();
  }

  /** Per-shard counters, written by the shard's thread once per chunk, read by anyone. */
  public static final class ShardStats {
    private static final int FRAMES = 0;
    private static final int ACCEPTED = 1;
    private static final int BYTES = 2;
    private static final int DECODE_NANOS = 3;
    private static final int BUSY_NANOS = 4;
    private static final int REJECTS = 5;

    private final AtomicLongArray values = new AtomicLongArray(REJECTS + Reject.count());

    void onChunk(long frames, long accepted, long bytes, long decodeNanos, long busyNanos, long[] rejectTotals) {
      bump(FRAMES, frames);
      bump(ACCEPTED, accepted);
      bump(BYTES, bytes);
      bump(DECODE_NANOS, decodeNanos);
      bump(BUSY_NANOS, busyNanos);
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

    /** Frames counted. */
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

    /** Frames rejected for {@code reason}. */
    public long rejected(Reject reason) {
      return values.get(REJECTS + reason.ordinal());
    }
  }
}
