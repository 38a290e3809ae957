package uniqcount.source;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;

/**
 * Splits an input stream into line-aligned {@link Chunk}s taken from a pool. A chunk is handed
 * off when full, or — for live input — as soon as it holds complete lines and no more bytes are
 * waiting ({@link InputStream#available()}), so a slow stream is counted within moments. A line longer than
 * the frame size limit is never buffered whole: it is skipped up to its newline and reported in
 * the next chunk's {@link Chunk#oversizedLines()}.
 */
public final class LineChunker {
  private final BlockingQueue<Chunk> pool;
  private final int maxFrameBytes;

  /**
   * @param pool free chunks; each must hold more than {@code maxFrameBytes} bytes
   * @param maxFrameBytes the frame size limit
   */
  public LineChunker(BlockingQueue<Chunk> pool, int maxFrameBytes) {
    this.pool = pool;
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Chunk size for a frame size limit: at least 1 MiB and room for one frame and its newline. */
  public static int chunkCapacity(int maxFrameBytes) {
    return Math.max(1 << 20, maxFrameBytes + 2);
  }

  /**
   * Reads {@code in} to its end, handing each filled chunk to {@code out}, numbered from 0; the
   * last chunk (possibly empty) is marked {@link Chunk#endOfPartition()}.
   *
   * @throws InterruptedException if interrupted while waiting for a free chunk
   */
  public void read(InputStream in, int partition, Consumer<Chunk> out)
      throws IOException, InterruptedException {
    read(in, partition, 0, out);
  }

  /** As {@link #read(InputStream, int, Consumer)}, for a stream that starts at byte {@code startOffset} of its input. */
  public void read(InputStream in, int partition, long startOffset, Consumer<Chunk> out)
      throws IOException, InterruptedException {
    Chunk chunk = pool.take();
    if (chunk.capacity() <= maxFrameBytes) {
      throw new IllegalStateException("chunk capacity " + chunk.capacity() + " <= frame limit");
    }
    int filled = 0;
    long offset = startOffset;
    int oversized = 0;
    long sequence = 0;
    boolean eof = false;
    while (!eof) {
      byte[] buf = chunk.data();
      while (filled < buf.length) {
        int n = in.read(buf, filled, buf.length - filled);
        if (n < 0) {
          eof = true;
          break;
        }
        int from = filled;
        filled += n;
        // Live input (a pipe, a socket): hand off complete lines as soon as nothing more is waiting.
        if (in.available() <= 0 && lastIndexOf(buf, from, filled, (byte) '\n') >= 0) {
          break;
        }
      }
      if (eof) {
        chunk.set(filled, partition, offset, oversized, sequence, true);
        out.accept(chunk);
        return;
      }
      int lastNewline = lastIndexOf(buf, 0, filled, (byte) '\n');
      if (lastNewline < 0) {
        // A full buffer without a newline: the line exceeds the limit. Skip to its end.
        long skipped = filled;
        filled = 0;
        int rest = -1;
        while (rest < 0) {
          int n = in.read(buf, 0, buf.length);
          if (n < 0) {
            eof = true;
            break;
          }
          int nl = indexOf(buf, 0, n, (byte) '\n');
          if (nl < 0) {
            skipped += n;
          } else {
            skipped += nl + 1;
            rest = n - nl - 1;
            System.arraycopy(buf, nl + 1, buf, 0, rest);
            filled = rest;
          }
        }
        offset += skipped;
        oversized++;
        if (eof) {
          chunk.set(0, partition, offset, oversized, sequence, true);
          out.accept(chunk);
          return;
        }
        continue;
      }
      int used = lastNewline + 1;
      Chunk next = pool.take();
      int carry = filled - used;
      System.arraycopy(buf, used, next.data(), 0, carry);
      chunk.set(used, partition, offset, oversized, sequence++, false);
      out.accept(chunk);
      offset += used;
      oversized = 0;
      chunk = next;
      filled = carry;
    }
  }

  private static int lastIndexOf(byte[] b, int from, int end, byte value) {
    for (int i = end - 1; i >= from; i--) {
      if (b[i] == value) {
        return i;
      }
    }
    return -1;
  }

  private static int indexOf(byte[] b, int from, int to, byte value) {
    for (int i = from; i < to; i++) {
      if (b[i] == value) {
        return i;
      }
    }
    return -1;
  }
}
