package uniqcount.checkpoint;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import uniqcount.source.InputException;

/**
 * Snapshots in a directory, written atomically and kept two deep.
 *
 * <p>A snapshot file {@code snapshot-<sequence>.ucp}:
 *
 * <pre>
 * offset  size  field
 *      0     4  magic "UQCP"
 *      4     2  format version (1)
 *      6     2  reserved, 0
 *      8     8  payload length n
 *     16     4  CRC-32C of the payload
 *     20     n  payload (see {@link Snapshot})
 * </pre>
 *
 * Written to {@code snapshot-<sequence>.tmp}, fsynced, renamed (atomically) and the directory
 * fsynced; the previous good snapshot is kept, older and damaged ones deleted. Reading takes the newest snapshot
 * that is whole and whose checksum matches, and says on stderr which newer ones it skipped and
 * why; if there are snapshots but none is usable, it refuses to start (never a silent start
 * from zero).
 */
public final class CheckpointStore {
  static final int MAGIC = 0x55514350; // "UQCP"
  static final short VERSION = 1;
  private static final int HEADER = 20;

  private final Path dir;
  private long sequence;
  private Path lastGood;

  /** A store in {@code dir} (created if missing). */
  public CheckpointStore(Path dir) throws InputException {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new InputException("--checkpoint " + dir + ": cannot create (" + e.getMessage() + ")", e);
    }
  }

  /** The directory. */
  public Path dir() {
    return dir;
  }

  /** A payload with its header (magic, version, length, CRC-32C): the bytes of a snapshot file or record. */
  public static byte[] encode(byte[] payload) {
    CRC32C crc = new CRC32C();
    crc.update(payload);
    ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length);
    b.putInt(MAGIC).putShort(VERSION).putShort((short) 0).putLong(payload.length).putInt((int) crc.getValue()).put(payload);
    return b.array();
  }

  /**
   * The payload of encoded snapshot bytes.
   *
   * @throws InputException naming {@code name} if they are truncated, foreign or corrupt
   */
  public static byte[] decode(byte[] all, String name) throws InputException {
    if (all.length < HEADER) {
      throw new InputException(name + " is truncated (" + all.length + " bytes)");
    }
    ByteBuffer b = ByteBuffer.wrap(all);
    if (b.getInt() != MAGIC) {
      throw new InputException(name + " is not a uniqcount snapshot");
    }
    short version = b.getShort();
    if (version != VERSION) {
      throw new InputException(name + " has format version " + version + ", this uniqcount reads " + VERSION);
    }
    b.getShort();
    long length = b.getLong();
    int crc = b.getInt();
    if (length != all.length - HEADER) {
      throw new InputException(name + " is truncated (" + (all.length - HEADER) + " of " + length + " bytes)");
    }
    CRC32C c = new CRC32C();
    c.update(all, HEADER, all.length - HEADER);
    if ((int) c.getValue() != crc) {
      throw new InputException(name + " is corrupt (checksum mismatch)");
    }
    byte[] payload = new byte[all.length - HEADER];
    System.arraycopy(all, HEADER, payload, 0, payload.length);
    return payload;
  }

  /** Writes a snapshot durably; returns its file. */
  public Path write(byte[] payload) throws IOException {
    long seq = ++sequence;
    Path tmp = dir.resolve(String.format("snapshot-%012d.tmp", seq));
    Path done = dir.resolve(String.format("snapshot-%012d.ucp", seq));
    ByteBuffer header = ByteBuffer.wrap(encode(payload));
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      while (header.hasRemaining()) {
        ch.write(header);
      }
      ch.force(true);
    }
    Files.move(tmp, done, StandardCopyOption.ATOMIC_MOVE);
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // some file systems cannot fsync a directory; the rename is still atomic
    }
    for (Path old : snapshots()) {
      if (!old.equals(done) && !old.equals(lastGood)) {
        Files.deleteIfExists(old); // older ones, and damaged ones skipped at start
      }
    }
    lastGood = done;
    return done;
  }

  /**
   * The payload of the newest usable snapshot, or null if the directory holds none.
   *
   * @param warn where to say which damaged snapshots were skipped
   * @throws InputException if snapshots exist but none is usable
   */
  public byte[] readLatest(PrintStream warn) throws IOException {
    List<Path> all = snapshots();
    List<String> problems = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0; i--) {
      Path p = all.get(i);
      sequence = Math.max(sequence, sequenceOf(p));
      try {
        byte[] payload = readOne(p);
        lastGood = p;
        if (!problems.isEmpty()) {
          warn.println("uniqcount: checkpoint " + String.join("; ", problems) + "; resuming from " + p.getFileName());
        }
        return payload;
      } catch (InputException e) {
        problems.add(e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new InputException("--checkpoint " + dir + ": no usable snapshot (" + String.join("; ", problems)
          + "); move the directory away to start from zero");
    }
    return null;
  }

  static byte[] readOne(Path p) throws IOException {
    return decode(Files.readAllBytes(p), p.getFileName().toString());
  }

  private List<Path> snapshots() throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.filter(f -> f.getFileName().toString().matches("snapshot-\\d+\\.ucp")).sorted().forEach(out::add);
    }
    return out;
  }

  private static long sequenceOf(Path p) {
    String n = p.getFileName().toString();
    return Long.parseLong(n.substring("snapshot-".length(), n.length() - ".ucp".length()));
  }

}
