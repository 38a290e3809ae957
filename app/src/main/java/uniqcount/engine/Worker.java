package uniqcount.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import uniqcount.frame.FrameDecoder;
import uniqcount.frame.Reject;
import uniqcount.source.Chunk;
import uniqcount.window.DecodedBatch;
import uniqcount.window.FrameBuffer;
import uniqcount.window.Partition;

/**
 * One worker thread's decoding: splits chunks into lines (files) or takes records one by one
 * (Kafka), decodes each frame into (ts, uid hash) with its own {@link FrameDecoder}, counts
 * rejects by reason, and submits the decoded batch to its {@link Partition}, which applies it in
 * input order and counts it. A worker holds no counting state of its own.
 */
final class Worker {
  private final FrameDecoder decoder;
  private final WorkerStats stats = new WorkerStats();
  private final long[] rejects = new long[Reject.count()];
  private FrameBuffer records = new FrameBuffer(1024);
  private long recordFrames;
  private long recordBytes;
  private long recordStartNanos;

  Worker(FrameDecoder decoder) {
    this.decoder = decoder;
  }

  /** Decodes every line of a chunk and submits them as one batch of {@code partition}. */
  void onChunk(Chunk chunk, Partition partition) {
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
    partition.submit(new DecodedBatch(frames, chunk.sequence(), chunk.endOfPartition()));
    long t2 = System.nanoTime();
    stats.add(lines + chunk.oversizedLines(), frames.size(), end, t1 - t0, t2 - t0, rejects);
  }

  /**
   * Decodes one frame from a source that hands frames one by one (a Kafka record); the frames
   * gathered so far are submitted by {@link #endBatch}. The clock is read once per batch, not per frame.
   */
  void onFrame(byte[] bytes, int offset, int length) {
    if (recordFrames == 0) {
      recordStartNanos = System.nanoTime();
    }
    FrameDecoder d = decoder;
    if (d.decode(bytes, offset, length)) {
      records.add(d.timestampSec(), d.uidHash());
    } else {
      rejects[d.reject().ordinal()]++;
    }
    recordFrames++;
    recordBytes += length;
  }

  /** Submits the frames gathered by {@link #onFrame} as the next batch of {@code partition}; {@code end}: its input ended. */
  void endBatch(Partition partition, boolean end) {
    long t1 = System.nanoTime();
    long decodeNanos = recordFrames == 0 ? 0 : t1 - recordStartNanos;
    FrameBuffer frames = records;
    records = new FrameBuffer(Math.max(1024, frames.size()));
    partition.submit(new DecodedBatch(frames, partition.nextSequence(), end));
    long t2 = System.nanoTime();
    stats.add(recordFrames, frames.size(), recordBytes, decodeNanos, decodeNanos + (t2 - t1), rejects);
    recordFrames = 0;
    recordBytes = 0;
  }

  WorkerStats stats() {
    return stats;
  }

  /** Restores the totals of a snapshot into this worker's stats (one worker takes them all). */
  void restoreTotals(long[] totals) {
    System.arraycopy(totals, WorkerStats.REJECTS, rejects, 0, rejects.length);
    stats.add(totals[WorkerStats.FRAMES], totals[WorkerStats.ACCEPTED], totals[WorkerStats.BYTES],
        totals[WorkerStats.DECODE_NANOS], totals[WorkerStats.BUSY_NANOS], rejects);
  }

  private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long NEWLINES = 0x0a0a0a0a0a0a0a0aL;
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;

  /** The next '\n' at or after {@code from}, or {@code end}; 32, then 8 bytes per step (SWAR). */
  static int indexOfNewline(byte[] b, int from, int end) {
    int i = from;
    // 32 bytes a step while no '\n' is among them: four independent words, one branch. A flag is
    // set falsely only above a true '\n' in its word, so any flag means a '\n' in these 32 bytes.
    for (; i + 32 <= end; i += 32) {
      long x0 = (long) LONG_LE.get(b, i) ^ NEWLINES;
      long x1 = (long) LONG_LE.get(b, i + 8) ^ NEWLINES;
      long x2 = (long) LONG_LE.get(b, i + 16) ^ NEWLINES;
      long x3 = (long) LONG_LE.get(b, i + 24) ^ NEWLINES;
      long flags = ((x0 - ONES) & ~x0) | ((x1 - ONES) & ~x1) | ((x2 - ONES) & ~x2) | ((x3 - ONES) & ~x3);
      if ((flags & HIGHS) != 0) {
        break;
      }
    }
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

  /**
   * A worker's counters, written by its thread once per batch, read by anyone. The order is
   * that of a snapshot's totals ({@code StateCodec.TOTALS}, then rejects by reason).
   */
  static final class WorkerStats {
    static final int FRAMES = 0;
    static final int BYTES = 1;
    static final int DECODE_NANOS = 2;
    static final int BUSY_NANOS = 3;
    static final int ACCEPTED = 4;
    static final int REJECTS = 5;
    static final int SIZE = REJECTS + Reject.count();

    private final AtomicLongArray values = new AtomicLongArray(SIZE);

    void add(long frames, long accepted, long bytes, long decodeNanos, long busyNanos, long[] rejectTotals) {
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

    /** Every counter summed over {@code workers} (indexed like {@link #get}); any thread. */
    static long[] sum(List<Worker> workers) {
      long[] total = new long[SIZE];
      for (Worker w : workers) {
        WorkerStats st = w.stats();
        for (int i = 0; i < SIZE; i++) {
          total[i] += st.get(i);
        }
      }
      return total;
    }

    long get(int index) {
      return values.get(index);
    }
  }
}
