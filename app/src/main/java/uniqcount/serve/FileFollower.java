package uniqcount.serve;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import uniqcount.UserException;

/**
 * Reads a results file of JSON lines from its start and then follows it as it grows, like
 * {@code tail -f}: only complete lines (ending in a line feed) are handed on — the last one is
 * held back until its line feed arrives. A file that becomes shorter than what was read
 * (truncated or replaced) is read again from its start. Standard input is read to its end.
 */
public final class FileFollower implements AutoCloseable {
  /** How long to wait before looking again for more data at the end of a file. */
  static final long POLL_MILLIS = 200;
  /** A line longer than this is not a result: it is skipped up to its end. */
  static final int MAX_LINE_BYTES = 64 * 1024;

  private final Path file;
  private final InputStream stdin;
  private volatile boolean stopped;

  private FileFollower(Path file, InputStream stdin) {
    this.file = file;
    this.stdin = stdin;
  }

  /**
   * Follows {@code file}.
   *
   * @throws UserException if it does not exist or cannot be read
   */
  public static FileFollower file(Path file) {
    if (!Files.exists(file)) {
      throw UserException.failure("--input " + file + ": no such file");
    }
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw UserException.failure("--input " + file + ": not a readable file");
    }
    return new FileFollower(file, null);
  }

  /** Reads standard input to its end. */
  public static FileFollower stdin(InputStream in) {
    return new FileFollower(null, in);
  }

  /** What is read, for the page: {@code file results.jsonl} or {@code stdin}. */
  public String describe() {
    return file == null ? "stdin" : "file " + file;
  }

  /**
   * Hands every complete line to {@code onLine} until {@link #close()} (a file) or the end of
   * standard input.
   *
   * @throws UserException if the file cannot be read
   */
  public void run(Consumer<String> onLine) throws InterruptedException {
    try {
      if (file == null) {
        readStream(onLine);
      } else {
        follow(onLine);
      }
    } catch (NoSuchFileException e) {
      throw UserException.failure("--input " + file + ": the file was removed", e);
    } catch (IOException e) {
      throw UserException.failure("--input " + describe() + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  private void readStream(Consumer<String> onLine) throws IOException {
    Lines lines = new Lines(onLine);
    byte[] buf = new byte[64 * 1024];
    int n;
    while (!stopped && (n = stdin.read(buf)) >= 0) {
      lines.add(buf, n);
    }
    lines.end();
  }

  private void follow(Consumer<String> onLine) throws IOException, InterruptedException {
    Lines lines = new Lines(onLine);
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    long position = 0;
    while (!stopped) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        Object opened = fileKey();
        while (!stopped) {
          if (ch.size() < position) {
            // truncated: read it again from its start
            position = 0;
            lines = new Lines(onLine);
          }
          buf.clear();
          int n = ch.read(buf, position);
          if (n > 0) {
            position += n;
            lines.add(buf.array(), n);
            continue;
          }
          Object now = fileKey();
          if (opened != null && now != null && !opened.equals(now)) {
            // replaced by a new file (rotated by a rename): read the new one from its start
            position = 0;
            lines = new Lines(onLine);
            break;
          }
          Thread.sleep(POLL_MILLIS);
        }
      }
    }
  }

  /** The identity of the file the path names now (inode), or null while there is none or the platform has none. */
  private Object fileKey() throws IOException {
    try {
      return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
    } catch (NoSuchFileException e) {
      return null; // between a rename and the new file's creation
    }
  }

  /** Stops following (the current wait ends within {@link #POLL_MILLIS}). */
  @Override
  public void close() {
    stopped = true;
  }

  /** Splits bytes into lines: complete lines go on, a partial last line waits. */
  private static final class Lines {
    private final Consumer<String> onLine;
    private byte[] pending = new byte[4096];
    private int length;
    private boolean overlong;

    Lines(Consumer<String> onLine) {
      this.onLine = onLine;
    }

    void add(byte[] bytes, int n) {
      int start = 0;
      for (int i = 0; i < n; i++) {
        if (bytes[i] == '\n') {
          append(bytes, start, i - start);
          emit();
          start = i + 1;
        }
      }
      append(bytes, start, n - start);
    }

    /** End of input: a last line without a line feed still counts (standard input only). */
    void end() {
      if (length > 0 || overlong) {
        emit();
      }
    }

    private void append(byte[] bytes, int from, int n) {
      if (overlong || n == 0) {
        return;
      }
      if (length + n > MAX_LINE_BYTES) {
        overlong = true;
        length = 0;
        return;
      }
      if (length + n > pending.length) {
        pending = java.util.Arrays.copyOf(pending, Math.max(pending.length * 2, length + n));
      }
      System.arraycopy(bytes, from, pending, length, n);
      length += n;
    }

    private void emit() {
      // an overlong line is handed on as its start only, so that it is skipped and counted
      String line = overlong ? "<a line over " + MAX_LINE_BYTES + " bytes>" : new String(pending, 0, length, StandardCharsets.UTF_8);
      length = 0;
      overlong = false;
      onLine.accept(line);
    }
  }
}
