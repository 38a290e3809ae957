package uniqcount.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uniqcount.UserException;
import uniqcount.emit.Emitter;
import uniqcount.window.Granularity;
import uniqcount.window.Windows;

/** Snapshot files: never written through a planted link, readable by their owner only, never in a directory anyone can write. */
class CheckpointStoreTest {
  @TempDir
  Path dir;

  private static Snapshot empty() {
    return new Snapshot("test", new long[0], -1, new Emitter.State(Long.MIN_VALUE, List.of()), List.of(),
        new Windows.State(List.of(Granularity.MINUTE), new long[] {Long.MIN_VALUE}, List.of()), new long[0]);
  }

  @Test
  void aLinkPlantedAtTheTemporaryNameIsNotFollowed() throws Exception {
    Path ck = Files.createDirectory(dir.resolve("ck"));
    Path victim = Files.writeString(dir.resolve("victim"), "precious");
    Files.createSymbolicLink(ck.resolve("snapshot-000000000001.tmp"), victim);
    Path written = new CheckpointStore(ck).write(empty());
    assertEquals("precious", Files.readString(victim), "the link's target is untouched");
    assertEquals("snapshot-000000000001.ucp", written.getFileName().toString());
    assertTrue(Files.isRegularFile(written, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    assertEquals("test", new CheckpointStore(ck).readLatest(new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8)).fingerprint());
  }

  @Test
  void snapshotsAreReadableByTheirOwnerOnly() throws Exception {
    Assumptions.assumeTrue(Files.getFileStore(dir).supportsFileAttributeView("posix"));
    Path written = new CheckpointStore(dir.resolve("ck")).write(empty());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(written)));
  }

  @Test
  void aDirectoryEveryoneCanWriteIsRefused() throws Exception {
    Assumptions.assumeTrue(Files.getFileStore(dir).supportsFileAttributeView("posix"));
    Path open = Files.createDirectory(dir.resolve("open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    UserException e = assertThrows(UserException.class, () -> new CheckpointStore(open));
    assertTrue(e.getMessage().startsWith("--checkpoint " + open + ": writable by every user"), e.getMessage());
  }
}
