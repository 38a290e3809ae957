package uniqcount.source;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import uniqcount.UserException;

/**
 * Resolves {@code --input} arguments (paths, globs, {@code -} for stdin) to a list of inputs and
 * opens them, decompressing gzip when the content starts with the gzip magic bytes (whatever the
 * file is called). Each input is one partition.
 */
public final class Inputs {
  /** The name that stands for standard input. */
  public static final String STDIN = "-";
  /** Tests: the segment size (compressed bytes) of a gzip inflated side by side; 0: sized for the heap. */
  public static volatile long parallelGzipSegmentBytes;

  /** Tests: how many segments of gzip inputs have been inflated side by side in this JVM. */
  public static long parallelGzipSegments() {
    return ParallelGzipInputStream.LAUNCHED.get();
  }

  private Inputs() {}

  /**
   * Expands globs ({@code *}, {@code ?}, {@code [..]}, {@code {a,b}} in the file name part) in
   * sorted order and checks every file exists and is readable.
   *
   * @throws UserException naming the first input that is missing or matches nothing
   */
  public static List<String> resolve(List<String> specs) throws UserException {
    List<String> out = new ArrayList<>();
    for (String spec : specs) {
      if (spec.equals(STDIN)) {
        out.add(STDIN);
        continue;
      }
      Path path = Paths.get(spec);
      String name = path.getFileName() == null ? "" : path.getFileName().toString();
      if (name.matches(".*[*?\\[{].*")) {
        Path dir = path.getParent() == null ? Paths.get(".") : path.getParent();
        List<String> matches = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, name)) {
          for (Path p : ds) {
            if (Files.isRegularFile(p)) {
              matches.add(p.toString());
            }
          }
        } catch (java.util.regex.PatternSyntaxException e) {
          throw UserException.usage("--input " + spec + ": not a valid glob (" + e.getDescription() + ")");
        } catch (IOException | RuntimeException e) {
          throw UserException.failure("--input " + spec + ": cannot list " + dir + " (" + e.getMessage() + ")", e);
        }
        if (matches.isEmpty()) {
          throw UserException.failure("--input " + spec + ": no file matches");
        }
        matches.sort(null);
        out.addAll(matches);
      } else {
        if (!Files.exists(path)) {
          throw UserException.failure("--input " + spec + ": no such file");
        }
        if (Files.isDirectory(path)) {
          throw UserException.failure("--input " + spec + ": is a directory (use a glob such as " + spec + "/*.jsonl)");
        }
        if (!Files.isReadable(path)) {
          throw UserException.failure("--input " + spec + ": not readable");
        }
        out.add(spec);
      }
    }
    return out;
  }

  /**
   * Opens an input for reading; gzip content is decompressed, and a read error is rethrown as an
   * {@link UserException} naming the input.
   */
  public static InputStream open(String input, InputStream stdin) throws UserException {
    return open(input, stdin, null);
  }

  /**
   * Opens an input as {@link #open(String, InputStream)} does, adding the bytes read from it as
   * stored (compressed or not) to {@code rawBytes} (progress), unless null.
   */
  public static InputStream open(String input, InputStream stdin, java.util.concurrent.atomic.AtomicLong rawBytes)
      throws UserException {
    return open(input, stdin, rawBytes, 1);
  }

  /**
   * Opens an input as {@link #open(String, InputStream, java.util.concurrent.atomic.AtomicLong)}
   * does; a regular gzip file of several members is inflated on up to {@code inflateThreads}
   * threads ({@link ParallelGzipInputStream}: the same bytes and errors as one thread).
   */
  public static InputStream open(String input, InputStream stdin, java.util.concurrent.atomic.AtomicLong rawBytes,
      int inflateThreads) throws UserException {
    if (inflateThreads > 1 && !input.equals(STDIN) && Files.isRegularFile(Paths.get(input))) {
      try {
        InputStream parallel = ParallelGzipInputStream.open(Paths.get(input), inflateThreads, rawBytes);
        if (parallel != null) {
          return new NamedInputStream(parallel, input);
        }
      } catch (NoSuchFileException e) {
        throw UserException.failure(input + ": no such file", e);
      } catch (IOException e) {
        throw UserException.failure(input + ": cannot open (" + e.getMessage() + ")", e);
      }
    }
    InputStream raw;
    try {
      Path path = Paths.get(input);
      // a pipe, a FIFO or /dev/stdin cannot seek, and a channel's available() would try: read it as a stream
      raw = input.equals(STDIN) ? stdin
          : Files.isRegularFile(path) ? Files.newInputStream(path) : new java.io.FileInputStream(path.toFile());
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      throw UserException.failure(input + ": no such file", e);
    } catch (IOException e) {
      throw UserException.failure(input + ": cannot open (" + e.getMessage() + ")", e);
    }
    String name = input.equals(STDIN) ? "stdin" : input;
    if (rawBytes != null) {
      raw = new CountingInputStream(raw, rawBytes);
    }
    try {
      BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
      in.mark(4);
      int b0 = in.read();
      int b1 = in.read();
      int b2 = in.read();
      int b3 = in.read();
      in.reset();
      InputStream content = in;
      if (isGzip(b0, b1)) {
        content = new StrictGzipInputStream(in);
      } else if (isZstd(b0, b1, b2, b3)) {
        // strict: a truncated frame, trailing garbage or a bad checksum is an error, never a silent end
        content = new com.github.luben.zstd.ZstdInputStream(in).setContinuous(false);
      }
      return new NamedInputStream(content, name);
    } catch (java.util.zip.ZipException | java.io.EOFException e) {
      closeQuietly(raw, input);
      throw UserException.failure(name + ": " + e.getMessage(), e);
    } catch (IOException e) {
      closeQuietly(raw, input);
      throw UserException.failure(name + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  private static boolean isGzip(int b0, int b1) {
    return b0 == 0x1f && b1 == 0x8b;
  }

  private static boolean isZstd(int b0, int b1, int b2, int b3) {
    return b0 == 0x28 && b1 == 0xb5 && b2 == 0x2f && b3 == 0xfd // a zstd frame (RFC 8878)
        || (b0 & 0xf0) == 0x50 && b1 == 0x2a && b2 == 0x4d && b3 == 0x18; // a skippable frame first (pzstd)
  }

  /**
   * Whether a regular file is gzip that one thread inflates: one member (plain {@code gzip}), or
   * {@code inflateThreads} below 2. False for anything else, and for files that cannot be read.
   */
  public static boolean inflatedByOneThread(String input, int inflateThreads) {
    byte[] head = head(input);
    if (head == null || head.length < 2 || !isGzip(head[0] & 0xff, head[1] & 0xff)) {
      return false;
    }
    try {
      return inflateThreads < 2 || !ParallelGzipInputStream.splits(Paths.get(input), inflateThreads);
    } catch (IOException | RuntimeException e) {
      return false; // reading it for real says what is wrong
    }
  }

  /** Whether a regular file starts as gzip or zstd (false for stdin, pipes and unreadable files). */
  public static boolean compressed(String input) {
    byte[] head = head(input);
    return head != null && (head.length >= 2 && isGzip(head[0] & 0xff, head[1] & 0xff)
        || head.length == 4 && isZstd(head[0] & 0xff, head[1] & 0xff, head[2] & 0xff, head[3] & 0xff));
  }

  /** The first (up to) 4 bytes of a regular file; null for stdin, pipes and files that cannot be read. */
  private static byte[] head(String input) {
    if (input.equals(STDIN)) {
      return null;
    }
    try {
      Path p = Paths.get(input);
      if (!Files.isRegularFile(p)) {
        return null;
      }
      try (InputStream in = Files.newInputStream(p)) {
        return in.readNBytes(4);
      }
    } catch (IOException | RuntimeException e) {
      return null; // reading it for real says what is wrong
    }
  }

  private static void closeQuietly(InputStream raw, String input) {
    if (!input.equals(STDIN)) {
      try {
        raw.close();
      } catch (IOException e) {
        // the open failed already; that is what is reported
      }
    }
  }

  /** The bytes of an input as stored, for progress: -1 if it has no known size (stdin, a pipe). */
  public static long size(String input) {
    try {
      Path p = Paths.get(input);
      return input.equals(STDIN) || !Files.isRegularFile(p) ? -1 : Files.size(p);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Adds what is read (64 KiB at a time through the buffer above it) to a counter. */
  private static final class CountingInputStream extends FilterInputStream {
    private final java.util.concurrent.atomic.AtomicLong count;

    CountingInputStream(InputStream in, java.util.concurrent.atomic.AtomicLong count) {
      super(in);
      this.count = count;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count.incrementAndGet();
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count.addAndGet(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(n);
      count.addAndGet(Math.max(0, skipped));
      return skipped;
    }
  }

  /** Rewrites read errors as {@link UserException}s that say which input failed. */
  private static final class NamedInputStream extends FilterInputStream {
    private final String name;

    NamedInputStream(InputStream in, String name) {
      super(in);
      this.name = name;
    }

    @Override
    public long skip(long n) throws IOException {
      try {
        return super.skip(n);
      } catch (IOException e) {
        throw failure(e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return super.read(b, off, len);
      } catch (IOException e) {
        throw failure(e);
      }
    }

    private UserException failure(IOException e) {
      if (e instanceof java.util.zip.ZipException || e instanceof java.io.EOFException) {
        return UserException.failure(name + ": " + e.getMessage(), e);
      }
      if (e instanceof com.github.luben.zstd.ZstdIOException) {
        return UserException.failure(name + ": damaged zstd data (" + e.getMessage() + ")", e);
      }
      return UserException.failure(name + ": cannot read (" + e.getMessage() + ")", e);
    }
  }
}
