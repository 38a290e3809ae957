package uniqcount.source;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.ZipException;

/**
 * A multi-member gzip file (concatenated daily files, bgzip, {@code uniqcount generate -o x.gz})
 * inflated on several threads and read in order, with the same bytes and the same errors as
 * {@link StrictGzipInputStream} reading it alone.
 *
 * <p>Where a member starts is only certain once the member before it has been inflated. So the
 * file is cut into segments at <em>candidates</em>: the first place at or after each multiple of
 * the segment size where the bytes look like a member header. Each segment is inflated on its own
 * thread, member after member, until a member ends at or past the next candidate. A segment's
 * output is used only when the segment before it, itself verified, ended exactly at its start;
 * otherwise the candidate was a false one (bytes inside compressed data that look like a header),
 * its segment is dropped, and inflating goes on from where the member before really ended. The
 * first segment starts at byte 0, so every byte read is verified, and a false candidate costs time,
 * never correctness.
 *
 * <p>Each segment holds at most a bounded number of inflated blocks; the segments ahead of the one
 * being read, one per thread, inflate while it is read.
 */
final class ParallelGzipInputStream extends InputStream {
  /** Inflated bytes per block handed from a segment's thread to the reader. */
  static final int BLOCK = 1 << 18;
  /**
   * How far past a multiple of the segment size a member start is looked for: past the first, or
   * the file is left to one thread; past a later one, or that segment goes on to a member end past
   * there (a large member), and the search goes on from that end.
   */
  private static final long SCAN_BYTES = 32 << 20;
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long MAGIC1 = 0x1f1f1f1f1f1f1f1fL;
  private static final long MAGIC2 = 0x8b8b8b8b8b8b8b8bL;
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;

  /** Segments started in this JVM (tests: the parallel path was taken). */
  static final AtomicLong LAUNCHED = new AtomicLong();

  private final FileChannel channel;
  private final long size;
  private final int threads;
  private final long segmentBytes;
  private final int blockBytes;
  private final int queueBlocks;
  private final AtomicLong rawBytes;
  private final ConcurrentLinkedQueue<byte[]> free = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedDeque<Segment> ahead = new ConcurrentLinkedDeque<>();
  private final byte[] scan = new byte[1 << 16];
  private Segment head;
  private int membersBefore;
  private Block block;
  private int blockPos;
  private long reported;
  private boolean done;
  private IOException failed;
  private volatile boolean closed;
  private int falseStarts;

  private ParallelGzipInputStream(FileChannel channel, long size, int threads, long segmentBytes, int blockBytes,
      int queueBlocks, AtomicLong rawBytes) {
    this.channel = channel;
    this.size = size;
    this.threads = threads;
    this.segmentBytes = segmentBytes;
    this.blockBytes = blockBytes;
    this.queueBlocks = queueBlocks;
    this.rawBytes = rawBytes;
  }

  /**
   * Opens a gzip file to be inflated on {@code threads} threads, with segments and buffers sized
   * for the heap: at most an eighth of it inflated and waiting.
   *
   * @param rawBytes adds the file's bytes as they are read (progress), unless null
   * @return null when the file is not gzip, or no member starts past its first segment (one
   *     member, or a few large ones): one thread reads it as fast
   */
  static InputStream open(Path path, int threads, AtomicLong rawBytes) throws IOException {
    return open(path, threads, segmentBytes(threads), BLOCK, (int) (queueBytes(threads) / BLOCK), rawBytes);
  }

  /** Whether {@link #open(Path, int, AtomicLong)} would inflate the file side by side (false: not gzip, or one thread). */
  static boolean splits(Path path, int threads) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      ParallelGzipInputStream in =
          new ParallelGzipInputStream(channel, channel.size(), threads, segmentBytes(threads), BLOCK, 1, null);
      return in.startsWithGzip() && in.stopAfter(0).candidate;
    }
  }

  /** Inflated bytes a segment may hold: an eighth of the heap among the threads, 1 to 32 MB. */
  private static long queueBytes(int threads) {
    return Math.max(1L << 20, Math.min(32L << 20, Runtime.getRuntime().maxMemory() / 8 / threads));
  }

  /** Compressed bytes between candidates: a sixteenth of what a segment may hold, 256 KB to 2 MB. */
  private static long segmentBytes(int threads) {
    return Inputs.parallelGzipSegmentBytes > 0 ? Inputs.parallelGzipSegmentBytes
        : Math.max(256 << 10, Math.min(2 << 20, queueBytes(threads) / 16));
  }

  /** As {@link #open(Path, int, AtomicLong)}, with the segment size (compressed bytes), block size and blocks per segment given. */
  static InputStream open(Path path, int threads, long segmentBytes, int blockBytes, int queueBlocks, AtomicLong rawBytes)
      throws IOException {
    FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
    try {
      ParallelGzipInputStream in =
          new ParallelGzipInputStream(channel, channel.size(), threads, segmentBytes, blockBytes, queueBlocks, rawBytes);
      if (!in.startsWithGzip()) {
        channel.close();
        return null;
      }
      // a member start near the start, or most likely one member (or a few large ones)
      Stop next = in.stopAfter(0);
      if (!next.candidate) {
        channel.close();
        return null;
      }
      try {
        in.head = in.launch(0, next);
        in.fillAhead();
      } catch (Throwable e) {
        in.cancelAll(); // the segments launched so far
        throw e;
      }
      return in;
    } catch (Throwable e) {
      channel.close();
      throw e;
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("Stream closed");
    }
    if (len == 0) {
      return 0;
    }
    while (true) {
      if (failed != null) {
        throw failed;
      }
      if (block != null) {
        int n = Math.min(len, block.length - blockPos);
        if (n > 0) {
          System.arraycopy(block.data, blockPos, b, off, n);
          blockPos += n;
          return n;
        }
        free.offer(block.data);
        block = null;
      }
      if (done) {
        return -1;
      }
      Block next = take(head);
      progress(next.offset);
      if (next.length > 0) {
        block = next;
        blockPos = 0;
      } else if (next.failure != null) {
        failed = renumbered(next.failure, next.members);
        cancelAll();
      } else {
        membersBefore += next.members;
        try {
          advance(next.offset, next.stopped);
        } catch (IOException | RuntimeException e) {
          failed = e instanceof IOException io ? io : new IOException(e.toString(), e);
          cancelAll();
        }
      }
    }
  }

  /** Segments dropped because a member went on past their start (tests: false candidates were met). */
  int falseStarts() {
    return falseStarts;
  }

  /** 1 until the end, as {@link StrictGzipInputStream}: compressed input always has more to give. */
  @Override
  public int available() {
    return done || failed != null ? 0 : 1;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    cancelAll();
    channel.close();
  }

  /**
   * The segment being read ended at {@code end}: at the end of the data, or ({@code stopped}) after
   * a member that ended at or past its stop; then on to the segment that starts there.
   */
  private void advance(long end, boolean stopped) throws IOException {
    if (!stopped) {
      done = true;
      progress(end);
      cancelAll(); // segments are left ahead only when the file shrank under the one read
      return;
    }
    while (!ahead.isEmpty() && ahead.peekFirst().start < end) {
      ahead.pollFirst().cancel(); // a false candidate: a member went on past it
      falseStarts++;
    }
    Segment next = ahead.peekFirst();
    if (next != null && next.start == end) {
      head = ahead.pollFirst();
    } else {
      // no candidate where the member ended (a false one, or none searched for): a segment from there
      head = launch(end, next != null ? new Stop(next.start, true) : stopAfter(end));
    }
    fillAhead();
  }

  /** One segment per thread: the one being read and those after it, each from a candidate. */
  private void fillAhead() throws IOException {
    Segment last = ahead.isEmpty() ? head : ahead.peekLast();
    while (ahead.size() + 1 < threads && last.stop.candidate) {
      last = launch(last.stop.at, stopAfter(last.stop.at));
      ahead.addLast(last);
    }
  }

  private Segment launch(long start, Stop stop) {
    LAUNCHED.incrementAndGet();
    Segment s = new Segment(start, stop);
    Thread t = new Thread(s, "uniqcount-inflate@" + start);
    t.setDaemon(true);
    t.start();
    return s;
  }

  private Block take(Segment s) throws IOException {
    try {
      while (true) {
        Block b = s.out.poll(50, TimeUnit.MILLISECONDS);
        if (b != null) {
          return b;
        }
        if (closed) {
          throw new IOException("Stream closed");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for inflated data");
    }
  }

  private void progress(long offset) {
    if (rawBytes != null && offset > reported) {
      rawBytes.addAndGet(offset - reported);
      reported = offset;
    }
  }

  private void cancelAll() {
    if (head != null) {
      head.cancel();
    }
    for (Segment s : ahead) {
      s.cancel();
    }
    ahead.clear();
  }

  /** An error met by a segment, with its member numbers counted from the start of the file. */
  private IOException renumbered(IOException e, int member) {
    String m = e.getMessage();
    String local = "gzip member " + member;
    int at = m == null ? -1 : m.indexOf(local);
    if (membersBefore == 0 || at < 0) {
      return e;
    }
    String message = m.substring(0, at) + "gzip member " + (membersBefore + member) + m.substring(at + local.length());
    IOException out = e instanceof EOFException ? new EOFException(message)
        : e instanceof ZipException ? new ZipException(message) : new IOException(message);
    out.initCause(e);
    return out;
  }

  private boolean startsWithGzip() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(2);
    while (b.hasRemaining() && channel.read(b, b.position()) > 0) {
      // the two magic bytes
    }
    return b.position() == 2 && (b.get(0) & 0xff) == 0x1f && (b.get(1) & 0xff) == 0x8b;
  }

  /**
   * Where a segment from {@code from} stops: at the first candidate at or after the multiple of the
   * segment size that follows {@code from}, within {@link #SCAN_BYTES} of it — ten bytes that make a
   * plausible member header (RFC 1952: magic, deflate, no reserved flag bits, extra flags 0, 2 or
   * 4, a known OS). None there: past the bytes searched (a large member), or nowhere at the end.
   */
  Stop stopAfter(long from) throws IOException {
    long pos = (from / segmentBytes + 1) * segmentBytes;
    long until = Math.min(size, pos + SCAN_BYTES);
    while (pos + 10 <= until) {
      ByteBuffer buf = ByteBuffer.wrap(scan, 0, (int) Math.min(scan.length, until - pos));
      while (buf.hasRemaining()) {
        if (channel.read(buf, pos + buf.position()) < 0) {
          return new Stop(Long.MAX_VALUE, false); // the file shrank: the segment reads to its end
        }
      }
      int n = buf.position();
      int at = header(scan, n);
      if (at >= 0) {
        return new Stop(pos + at, true);
      }
      pos += n - 9; // a header may straddle two reads
    }
    return new Stop(until >= size ? Long.MAX_VALUE : until, false);
  }

  /** Where a segment stops: after the first member that ends at or past {@code at}, a candidate or not. */
  record Stop(long at, boolean candidate) {}

  /**
   * The first header among {@code b[0, n)} (all ten bytes inside), or -1. Seven places a step: a
   * word with no byte 0x1f followed by 0x8b is passed over whole.
   */
  static int header(byte[] b, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 7) {
      long w = (long) LONGS.get(b, i);
      long t = (w ^ MAGIC1) | ((w >>> 8) ^ MAGIC2); // a zero byte k: bytes k and k + 1 are 1f 8b (k < 7)
      if (((t - ONES) & ~t & HIGHS) != 0) {
        for (int k = i; k < i + 7 && k + 10 <= n; k++) {
          if (b[k] == 0x1f && isHeader(b, k)) {
            return k;
          }
        }
      }
    }
    for (; i + 10 <= n; i++) {
      if (b[i] == 0x1f && isHeader(b, i)) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isHeader(byte[] b, int i) {
    int xfl = b[i + 8] & 0xff;
    int os = b[i + 9] & 0xff;
    return (b[i + 1] & 0xff) == 0x8b && b[i + 2] == 8 && (b[i + 3] & 0xe0) == 0
        && (xfl == 0 || xfl == 2 || xfl == 4) && (os <= 13 || os == 255);
  }

  /** Inflated bytes, or a segment's end ({@code length} 0): where it ended, or why it failed. */
  private static final class Block {
    final byte[] data;
    final int length;
    /** The byte of the file inflated up to (the member end, at a segment's end). */
    final long offset;
    /** At the end: the members read, or the member that failed. */
    final int members;
    final IOException failure;
    /** At the end: it stopped at its stop, not at the end of the data. */
    final boolean stopped;

    Block(byte[] data, int length, long offset, int members, IOException failure, boolean stopped) {
      this.data = data;
      this.length = length;
      this.offset = offset;
      this.members = members;
      this.failure = failure;
      this.stopped = stopped;
    }
  }

  /** Members inflated from {@code start} until one ends at or past its stop, on its own thread. */
  private final class Segment implements Runnable {
    final long start;
    final Stop stop;
    final BlockingQueue<Block> out = new ArrayBlockingQueue<>(queueBlocks + 1);
    volatile boolean cancelled;

    Segment(long start, Stop stop) {
      this.start = start;
      this.stop = stop;
    }

    void cancel() {
      cancelled = true;
      out.clear(); // frees a thread waiting to hand a block
    }

    @Override
    public void run() {
      StrictGzipInputStream gz = null;
      byte[] data = null;
      int filled = 0;
      Block end = null;
      try {
        gz = new StrictGzipInputStream(new ChannelInput(start), start, stop.at);
        gz.start();
        while (!cancelled) {
          if (data == null) {
            data = free.poll();
            if (data == null || data.length != blockBytes) {
              data = new byte[blockBytes];
            }
            filled = 0;
          }
          int n = gz.read(data, filled, data.length - filled);
          if (n < 0) {
            break;
          }
          filled += n;
          if (filled == data.length) {
            hand(new Block(data, filled, gz.offset(), 0, null, false));
            data = null;
          }
        }
        end = new Block(null, 0, gz.offset(), gz.member(), null, gz.stopped());
      } catch (Throwable e) {
        IOException failure = e instanceof IOException io ? io : new IOException("inflating failed: " + e, e);
        end = new Block(null, 0, gz == null ? start : gz.offset(), gz == null ? 1 : gz.member(), failure, false);
      } finally {
        if (data != null && filled > 0) {
          hand(new Block(data, filled, gz.offset(), 0, null, false)); // what came before an error is read first
        }
        if (end != null) {
          hand(end);
        }
        if (gz != null) {
          gz.end();
        }
      }
    }

    private void hand(Block b) {
      try {
        while (!cancelled && !out.offer(b, 50, TimeUnit.MILLISECONDS)) {
          // the reader is on an earlier segment
        }
      } catch (InterruptedException e) {
        cancelled = true;
      }
    }
  }

  /** The file from a byte on, by positional reads of the shared channel (safe across threads). */
  private final class ChannelInput extends InputStream {
    private long position;

    ChannelInput(long position) {
      this.position = position;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = channel.read(ByteBuffer.wrap(b, off, len), position); // to the end, should the file have grown
      if (n > 0) {
        position += n;
      }
      return n;
    }
  }
}
