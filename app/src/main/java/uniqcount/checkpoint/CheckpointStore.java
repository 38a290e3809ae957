package uniqcount.checkpoint;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import uniqcount.UserException;

/**
 * Snapshots in a directory, written atomically and kept two deep. A file {@code
 * snapshot-<sequence>.ucp} holds one snapshot in the layout of {@link StateCodec}.
 *
 * <p>Written to {@code snapshot-<sequence>.tmp}, fsynced, renamed (atomically) and the directory
 * fsynced; the previous good snapshot is kept, older and damaged ones deleted. Reading takes the
 * newest snapshot that decodes, and says on stderr which newer ones it skipped and why; if there
 * are snapshots but none is usable, it refuses to start (never a silent start from zero).
 */
public final class CheckpointStore {
  private final Path dir;
  private long sequence;
  private Path lastGood;

  /** A store in {@code dir} (created if missing). */
  public CheckpointStore(Path dir) {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw UserException.failure("--checkpoint " + dir + ": cannot create (" + e.getMessage() + ")", e);
    }
    Set<PosixFilePermission> permissions = permissions(dir);
    if (permissions != null && permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw UserException.failure("--checkpoint " + dir + ": writable by every user; a checkpoint directory must not be"
          + " (anyone could replace the snapshots): use a directory of your own, or chmod o-w it");
    }
  }

  private static Set<PosixFilePermission> permissions(Path dir) {
    try {
      return Files.getPosixFilePermissions(dir);
    } catch (UnsupportedOperationException | IOException e) {
      return null; // not a POSIX file system
    }
  }

  /** Writes a snapshot durably; returns its file. */
  public Path write(Snapshot snapshot) throws IOException {
    long seq = ++sequence;
    Path tmp = dir.resolve(String.format("snapshot-%012d.tmp", seq));
    Path done = dir.resolve(String.format("snapshot-%012d.ucp", seq));
    ByteBuffer bytes = ByteBuffer.wrap(StateCodec.encode(snapshot));
    // a leftover of a crash, or something planted: removed (a symbolic link itself, never its target),
    // then the file is created anew, never followed through a link, readable by its owner only
    Files.deleteIfExists(tmp);
    Set<OpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    FileAttribute<?>[] ownerOnly = permissions(dir) == null ? new FileAttribute<?>[0]
        : new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))};
    try (FileChannel ch = FileChannel.open(tmp, options, ownerOnly)) {
      while (bytes.hasRemaining()) {
        ch.write(bytes);
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
   * The newest usable snapshot, or null if the directory holds none.
   *
   * @param warn where to say which damaged snapshots were skipped
   * @throws UserException if snapshots exist but none is usable
   */
  public Snapshot readLatest(PrintStream warn) throws IOException {
    List<Path> all = snapshots();
    List<String> problems = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0; i--) {
      Path p = all.get(i);
      sequence = Math.max(sequence, sequenceOf(p));
      try {
        Snapshot snapshot = StateCodec.decode(Files.readAllBytes(p), p.getFileName().toString());
        lastGood = p;
        if (!problems.isEmpty()) {
          warn.println("uniqcount: checkpoint " + String.join("; ", problems) + "; resuming from " + p.getFileName());
        }
        return snapshot;
      } catch (UserException e) {
        problems.add(e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw UserException.failure("--checkpoint " + dir + ": no usable snapshot (" + String.join("; ", problems)
          + "); move the directory away to start from zero");
    }
    return null;
  }

  private List<Path> snapshots() throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.filter(f -> f.getFileName().toString().matches("snapshot-\\d{12}\\.ucp")).sorted().forEach(out::add);
    }
    return out;
  }

  private static long sequenceOf(Path p) {
    String n = p.getFileName().toString();
    return Long.parseLong(n.substring("snapshot-".length(), n.length() - ".ucp".length()));
  }

}
