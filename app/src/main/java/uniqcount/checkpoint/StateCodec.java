package uniqcount.checkpoint;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import uniqcount.UserException;
import uniqcount.count.CounterImage;
import uniqcount.emit.Emitter;
import uniqcount.emit.ResultRecord;
import uniqcount.window.Granularity;
import uniqcount.window.Partition;
import uniqcount.window.PartitionClock;
import uniqcount.window.Windows;

/**
 * The one byte layout of all persisted state: snapshots ({@link Snapshot}, in checkpoint files
 * and the {@code --exactly-once} checkpoint topic) and partials (one partition's {@link
 * Partition.State}, mergeable with others). Big-endian throughout; {@code string} is an int
 * byte count and that many bytes of UTF-8.
 *
 * <pre>
 * envelope
 *   offset size  field
 *        0    4  magic: "UQCP" snapshot, "UQPT" partial, "UQTC" task, "UQWN" window, "UQMG" merge
 *        4    2  format version ({@value #VERSION}); a reader refuses any other
 *        6    2  reserved, 0
 *        8    8  payload length n
 *       16    4  CRC-32C of the payload
 *       20    n  payload
 *
 * snapshot payload
 *   string     fingerprint
 *   int n      positions, then n x long
 *   long       output file position (-1: not a file)
 *   emitter    long watermark; int m, then m x published
 *   int p      partitions, then p x partition
 *   windows    the retired windows
 *   int k      totals, then k x long: frames read, bytes, decode ns, busy ns, frames accepted by
 *              the decoder, then rejected frames per reason in the order of frame.Reject
 *
 * partial payload
 *   partition
 *
 * task payload (a Kafka partition in the job's state topic, key "p/clock")
 *   long next offset, bool idle, clock, long late dropped,
 *   byte g, then g x (byte granularity ordinal, long released end)
 *
 * window payload (key "p/granularity/start"; deleted by a null value once released)
 *   byte granularity ordinal, long start, long end, long frames, counter
 *
 * merge payload (key "merge")
 *   long sequence (also in the offset metadata of partition 0 in the same transaction), emitter
 *
 * published   byte granularity ordinal, long start, long end, int next revision, long frames,
 *             bool final, byte status ordinal, long uniques, double rse
 * partition   bool finished; clock; long late dropped; windows
 * clock       bool established, long watermark, long implausible, int h, then h x held cluster
 * held        byte slot, long anchor, int plausible frames since, int f, then f x (long ts, long hash)
 * windows     byte g, then g x (byte granularity ordinal, long released end);
 *             int w, then w x (byte granularity ordinal, long start, long end, long frames, counter)
 * counter     byte form (0 exact, 1 sparse hll, 2 dense hll), byte precision (0 for exact),
 *             then for 0 and 1: int v, v x long (uid hashes, ascending); for 2: 2^precision register bytes
 * </pre>
 *
 * A decoder never trusts a count: each must fit in the bytes left, and the payload must be used
 * exactly. Every problem is a {@link UserException} naming the source and what is wrong.
 *
 * <p>Partials are what a partition contributes to every window, with the clock that decides what
 * it will contribute next. With Kafka input the same contribution travels as task and window
 * records of the job's state topic (only changed windows are written), and the merge record
 * holds what the merge step published.
 */
public final class StateCodec {
  /** The current format version; version 1 (before the engine layer) is not read. */
  public static final short VERSION = 2;
  /** Least bytes of one published entry, one partition, one held cluster, one window (for count checks). */
  private static final int PUBLISHED_BYTES = 46;
  private static final int PARTITION_BYTES = 35;
  private static final int HELD_BYTES = 17;
  private static final int WINDOW_BYTES = 28;

  static final int SNAPSHOT_MAGIC = 0x55514350; // "UQCP"
  static final int PARTIAL_MAGIC = 0x55515054; // "UQPT"
  static final int TASK_MAGIC = 0x55515443; // "UQTC"
  static final int WINDOW_MAGIC = 0x5551574E; // "UQWN"
  static final int MERGE_MAGIC = 0x55514D47; // "UQMG"
  static final int HEADER = 20;

  private StateCodec() {}

  /** A snapshot's bytes, envelope included. */
  public static byte[] encode(Snapshot s) {
    return envelope(SNAPSHOT_MAGIC, payload(out -> {
      byte[] fingerprint = s.fingerprint().getBytes(StandardCharsets.UTF_8);
      out.writeInt(fingerprint.length);
      out.write(fingerprint);
      writeLongs(out, s.positions());
      out.writeLong(s.outputPosition());
      writeEmitter(out, s.emitter());
      out.writeInt(s.partitions().size());
      for (Partition.State p : s.partitions()) {
        writePartition(out, p);
      }
      writeWindows(out, s.retired());
      writeLongs(out, s.totals());
    }));
  }

  /**
   * The snapshot in {@code bytes}.
   *
   * @param name what the bytes are, for messages (a file name, "the snapshot in topic x")
   * @throws UserException if they are truncated, foreign, of another version or corrupt
   */
  public static Snapshot decode(byte[] bytes, String name) {
    return decode(bytes, SNAPSHOT_MAGIC, name, in -> {
      byte[] fingerprintBytes = new byte[in.count(1)];
      in.data.readFully(fingerprintBytes);
      String fingerprint = new String(fingerprintBytes, StandardCharsets.UTF_8);
      long[] positions = in.longs();
      long outputPosition = in.data.readLong();
      Emitter.State emitter = readEmitter(in);
      int p = in.count(PARTITION_BYTES);
      List<Partition.State> partitions = new ArrayList<>();
      for (int i = 0; i < p; i++) {
        partitions.add(readPartition(in));
      }
      Windows.State retired = readWindows(in);
      long[] totals = in.longs();
      return new Snapshot(fingerprint, positions, outputPosition, emitter, partitions,
          retired, totals);
    });
  }

  /** A partial's bytes: one partition's contribution to every window, with its clock. */
  public static byte[] encodePartial(Partition.State partition) {
    return envelope(PARTIAL_MAGIC, payload(out -> writePartition(out, partition)));
  }

  /**
   * The partial in {@code bytes}.
   *
   * @throws UserException if they are truncated, foreign, of another version or corrupt
   */
  public static Partition.State decodePartial(byte[] bytes, String name) {
    return decode(bytes, PARTIAL_MAGIC, name, in -> {
      Partition.State p = readPartition(in);
      return p;
    });
  }

  /** A task record's bytes: a Kafka partition's clock and input position (its windows are records of their own). */
  public static byte[] encodeTask(TaskState t) {
    return envelope(TASK_MAGIC, payload(out -> {
      out.writeLong(t.nextOffset());
      out.writeBoolean(t.idle());
      writeClock(out, t.clock());
      out.writeLong(t.lateDropped());
      writeLines(out, t.granularities(), t.releasedEndSec());
    }));
  }

  /** The task record in {@code bytes}. @throws UserException if damaged */
  public static TaskState decodeTask(byte[] bytes, String name) {
    return decode(bytes, TASK_MAGIC, name, in -> {
      long next = in.data.readLong();
      boolean idle = in.data.readBoolean();
      PartitionClock.State clock = readClock(in);
      long lateDropped = in.data.readLong();
      Lines lines = readLines(in);
      return new TaskState(next, idle, clock, lateDropped, lines.granularities(), lines.releasedEndSec());
    });
  }

  /** One window's record: its bounds, frames and counter. */
  public static byte[] encodeWindow(Windows.WindowImage window) {
    return envelope(WINDOW_MAGIC, payload(out -> writeWindow(out, window)));
  }

  /** The window record in {@code bytes}. @throws UserException if damaged */
  public static Windows.WindowImage decodeWindow(byte[] bytes, String name) {
    return decode(bytes, WINDOW_MAGIC, name, in -> {
      Windows.WindowImage w = readWindow(in);
      return w;
    });
  }

  /**
   * The merge step's record: its sequence number (one more for every record written; the same
   * number goes into the offset metadata of the transaction that commits it), the global
   * watermark and what was published per window held.
   */
  public static byte[] encodeMerge(MergeState merge) {
    return envelope(MERGE_MAGIC, payload(out -> {
      out.writeLong(merge.sequence());
      writeEmitter(out, merge.emitter());
      out.writeInt(merge.finalThrough().length);
      for (long offset : merge.finalThrough()) {
        out.writeLong(offset);
      }
    }));
  }

  /** The merge record in {@code bytes}. @throws UserException if damaged */
  public static MergeState decodeMerge(byte[] bytes, String name) {
    return decode(bytes, MERGE_MAGIC, name, in -> {
      long sequence = in.data.readLong();
      Emitter.State s = readEmitter(in);
      // absent in merge records written before it was added: not a final flush
      int n = in.remaining() == 0 ? 0 : in.count(Long.BYTES);
      long[] finalThrough = new long[n];
      for (int i = 0; i < n; i++) {
        finalThrough[i] = in.data.readLong();
      }
      return new MergeState(sequence, s, finalThrough);
    });
  }

  /**
   * A merge record.
   *
   * @param sequence its number: 1 for the first a job wrote, then one more each time
   * @param emitter what was published, and the global watermark
   * @param finalThrough empty, or — when this record ends the final flush of an idle input — the next
   *     offset of every input partition the flush covered: every window up to there was published
   *     as final, so instances that find the input's end there may exit
   */
  public record MergeState(long sequence, Emitter.State emitter, long[] finalThrough) {
    public MergeState(long sequence, Emitter.State emitter) {
      this(sequence, emitter, new long[0]);
    }
  }

  private static void writeEmitter(DataOutputStream out, Emitter.State e) throws IOException {
    out.writeLong(e.watermarkSec());
    out.writeInt(e.published().size());
    for (Emitter.Published p : e.published()) {
      out.writeByte(p.granularity().ordinal());
      out.writeLong(p.startSec());
      out.writeLong(p.endSec());
      out.writeInt(p.revision());
      out.writeLong(p.frames());
      out.writeBoolean(p.isFinal());
      out.writeByte(p.status().ordinal());
      out.writeLong(p.uniques());
      out.writeDouble(p.rse());
    }
  }

  private static Emitter.State readEmitter(Reader in) throws IOException {
    long watermark = in.data.readLong();
    int m = in.count(PUBLISHED_BYTES);
    List<Emitter.Published> published = new ArrayList<>();
    for (int i = 0; i < m; i++) {
      published.add(new Emitter.Published(in.granularity(), in.data.readLong(), in.data.readLong(), in.data.readInt(),
          in.data.readLong(), in.data.readBoolean(), in.status(), in.data.readLong(), in.data.readDouble()));
    }
    return new Emitter.State(watermark, published);
  }

  private static void writePartition(DataOutputStream out, Partition.State p) throws IOException {
    out.writeBoolean(p.finished());
    writeClock(out, p.clock());
    out.writeLong(p.lateDropped());
    writeWindows(out, p.windows());
  }

  private static void writeClock(DataOutputStream out, PartitionClock.State c) throws IOException {
    out.writeBoolean(c.established());
    out.writeLong(c.watermarkSec());
    out.writeLong(c.implausible());
    out.writeInt(c.held().size());
    for (PartitionClock.HeldCluster h : c.held()) {
      out.writeByte(h.slot());
      out.writeLong(h.anchorSec());
      out.writeInt(h.plausibleSince());
      out.writeInt(h.timestamps().length);
      for (int i = 0; i < h.timestamps().length; i++) {
        out.writeLong(h.timestamps()[i]);
        out.writeLong(h.hashes()[i]);
      }
    }
  }

  private static Partition.State readPartition(Reader in) throws IOException {
    boolean finished = in.data.readBoolean();
    PartitionClock.State clock = readClock(in);
    long lateDropped = in.data.readLong();
    return new Partition.State(finished, clock, lateDropped, readWindows(in));
  }

  private static PartitionClock.State readClock(Reader in) throws IOException {
    boolean established = in.data.readBoolean();
    long watermark = in.data.readLong();
    long implausible = in.data.readLong();
    int h = in.count(HELD_BYTES);
    List<PartitionClock.HeldCluster> held = new ArrayList<>();
    for (int i = 0; i < h; i++) {
      int slot = in.data.readByte();
      long anchor = in.data.readLong();
      int since = in.data.readInt();
      int f = in.count(16);
      long[] ts = new long[f];
      long[] hashes = new long[f];
      for (int j = 0; j < f; j++) {
        ts[j] = in.data.readLong();
        hashes[j] = in.data.readLong();
      }
      held.add(new PartitionClock.HeldCluster(slot, anchor, since, ts, hashes));
    }
    return new PartitionClock.State(established, watermark, implausible, held);
  }

  private static void writeWindows(DataOutputStream out, Windows.State w) throws IOException {
    writeLines(out, w.granularities(), w.releasedEndSec());
    out.writeInt(w.windows().size());
    for (Windows.WindowImage image : w.windows()) {
      writeWindow(out, image);
    }
  }

  private static void writeWindow(DataOutputStream out, Windows.WindowImage image) throws IOException {
    out.writeByte(image.granularity().ordinal());
    out.writeLong(image.startSec());
    out.writeLong(image.endSec());
    out.writeLong(image.frames());
    CounterImage c = image.counter();
    out.writeByte(c.form().ordinal());
    out.writeByte(c.precision());
    if (c.form() == CounterImage.Form.DENSE_HLL) {
      out.write(c.registers());
    } else {
      writeLongs(out, c.values());
    }
  }

  private static Windows.State readWindows(Reader in) throws IOException {
    Lines lines = readLines(in);
    int w = in.count(WINDOW_BYTES);
    List<Windows.WindowImage> windows = new ArrayList<>();
    for (int i = 0; i < w; i++) {
      windows.add(readWindow(in));
    }
    return new Windows.State(lines.granularities(), lines.releasedEndSec(), windows);
  }

  /** The granularities counted, each with its release line. */
  private record Lines(List<Granularity> granularities, long[] releasedEndSec) {}

  private static void writeLines(DataOutputStream out, List<Granularity> granularities, long[] released)
      throws IOException {
    out.writeByte(granularities.size());
    for (int k = 0; k < granularities.size(); k++) {
      out.writeByte(granularities.get(k).ordinal());
      out.writeLong(released[k]);
    }
  }

  private static Lines readLines(Reader in) throws IOException {
    int g = in.data.readUnsignedByte();
    List<Granularity> granularities = new ArrayList<>(g);
    long[] released = new long[g];
    for (int k = 0; k < g; k++) {
      granularities.add(in.granularity());
      released[k] = in.data.readLong();
    }
    return new Lines(granularities, released);
  }

  private static Windows.WindowImage readWindow(Reader in) throws IOException {
    Granularity granularity = in.granularity();
    long start = in.data.readLong();
    long end = in.data.readLong();
    long frames = in.data.readLong();
    int form = in.data.readUnsignedByte();
    int precision = in.data.readUnsignedByte();
    CounterImage counter;
    if (form == CounterImage.Form.DENSE_HLL.ordinal()) {
      if (precision > 30) {
        throw new IOException("precision " + precision);
      }
      byte[] registers = new byte[in.bytes(1 << precision)];
      in.data.readFully(registers);
      counter = CounterImage.dense(precision, registers);
    } else if (form == CounterImage.Form.SPARSE_HLL.ordinal()) {
      counter = CounterImage.sparse(precision, in.longs());
    } else if (form == CounterImage.Form.EXACT.ordinal()) {
      counter = CounterImage.exact(in.longs());
    } else {
      throw new IOException("unknown counter form " + form);
    }
    return new Windows.WindowImage(granularity, start, end, frames, counter);
  }

  private static void writeLongs(DataOutputStream out, long[] values) throws IOException {
    out.writeInt(values.length);
    for (long v : values) {
      out.writeLong(v);
    }
  }

  /** Writes a payload with a {@link DataOutputStream}. */
  private interface PayloadWriter {
    void write(DataOutputStream out) throws IOException;
  }

  private static byte[] payload(PayloadWriter writer) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      writer.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // writing to a byte array does not fail
    }
    return bytes.toByteArray();
  }

  private static byte[] envelope(int magic, byte[] payload) {
    CRC32C crc = new CRC32C();
    crc.update(payload);
    return ByteBuffer.allocate(HEADER + payload.length).putInt(magic).putShort(VERSION).putShort((short) 0)
        .putLong(payload.length).putInt((int) crc.getValue()).put(payload).array();
  }

  /** Reads one payload with {@code body}, which must use it exactly. */
  private interface PayloadReader<T> {
    T read(Reader in) throws IOException;
  }

  /** The value in {@code bytes}, of the kind {@code magic}; every problem is one {@link UserException} naming {@code name}. */
  private static <T> T decode(byte[] bytes, int magic, String name, PayloadReader<T> body) {
    Reader in = open(bytes, magic, name);
    try {
      T value = body.read(in);
      in.end();
      return value;
    } catch (IOException | RuntimeException e) {
      throw in.damaged(e);
    }
  }

  private static Reader open(byte[] all, int magic, String name) {
    String what = magic == SNAPSHOT_MAGIC ? "snapshot" : magic == PARTIAL_MAGIC ? "partial"
        : magic == TASK_MAGIC ? "task record" : magic == WINDOW_MAGIC ? "window record" : "merge record";
    if (all.length < 4 || ByteBuffer.wrap(all).getInt() != magic) {
      throw UserException.failure(name + " is not a uniqcount " + what);
    }
    if (all.length < HEADER) {
      throw UserException.failure(name + " is truncated (" + all.length + " bytes)");
    }
    ByteBuffer b = ByteBuffer.wrap(all);
    b.getInt();
    short version = b.getShort();
    if (version != VERSION) {
      throw UserException.failure(name + " has format version " + version + ", this uniqcount reads " + VERSION
          + (version > VERSION ? " (written by a newer uniqcount)" : ""));
    }
    b.getShort();
    long length = b.getLong();
    int crc = b.getInt();
    if (length != all.length - HEADER) {
      throw UserException.failure(name + " is truncated (" + (all.length - HEADER) + " of " + length + " bytes)");
    }
    CRC32C c = new CRC32C();
    c.update(all, HEADER, all.length - HEADER);
    if ((int) c.getValue() != crc) {
      throw UserException.failure(name + " is corrupt (checksum mismatch)");
    }
    return new Reader(all, name);
  }

  /** A payload being read, with checks that counts fit the bytes left. */
  private static final class Reader {
    final DataInputStream data;
    final ByteArrayInputStream bytes;
    final String name;

    Reader(byte[] all, String name) {
      this.bytes = new ByteArrayInputStream(all, HEADER, all.length - HEADER);
      this.data = new DataInputStream(bytes);
      this.name = name;
    }

    /** A count of items of at least {@code minBytes} each, checked against what is left. */
    int remaining() {
      return bytes.available();
    }

    int count(int minBytes) throws IOException {
      int n = data.readInt();
      if (n < 0 || (long) n * minBytes > bytes.available()) {
        throw new IOException("a count of " + n + " does not fit the " + bytes.available() + " bytes left");
      }
      return n;
    }

    int bytes(int n) throws IOException {
      if (n > bytes.available()) {
        throw new EOFException();
      }
      return n;
    }

    long[] longs() throws IOException {
      long[] v = new long[count(8)];
      for (int i = 0; i < v.length; i++) {
        v[i] = data.readLong();
      }
      return v;
    }

    Granularity granularity() throws IOException {
      int g = data.readUnsignedByte();
      if (g >= Granularity.values().length) {
        throw new IOException("unknown window kind " + g);
      }
      return Granularity.values()[g];
    }

    ResultRecord.Status status() throws IOException {
      int s = data.readUnsignedByte();
      if (s >= ResultRecord.Status.values().length) {
        throw new IOException("unknown status " + s);
      }
      return ResultRecord.Status.values()[s];
    }

    void end() throws IOException {
      if (bytes.available() != 0) {
        throw new IOException(bytes.available() + " unexpected trailing bytes");
      }
    }

    UserException damaged(Exception e) {
      String why = e instanceof EOFException ? "ends early" : e.getMessage();
      return UserException.failure(name + " is damaged (" + why + ")", e);
    }
  }
}
