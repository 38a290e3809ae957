package uniqcount.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.function.Supplier;
import uniqcount.engine.JobStatus;

/**
 * One progress line on a terminal, redrawn in place: percent, frames/s, MB/s, ETA and the event
 * time reached; for a Kafka catch-up the records to the ends seen at start, then "live" with the
 * lag. Anything else written to the job's stderr ({@link #messages()}) first erases the line, so
 * messages stay whole and the line comes back below them.
 *
 * <p>Rates and the ETA come from the last {@link #WINDOW_NANOS} of samples, so they follow the
 * current speed rather than the average since the start.
 */
final class ProgressLine {
  /** Redraw interval. */
  static final long TICK_MILLIS = 250;
  /** The span rates are measured over. */
  static final long WINDOW_NANOS = 5_000_000_000L;
  private static final String ERASE = "\r\033[K";

  private final PrintStream terminal;
  private final Supplier<JobStatus> status;
  private final ArrayDeque<Sample> samples = new ArrayDeque<>();
  private final Object lock = new Object();
  private final PrintStream messages;
  private boolean drawn;
  private Thread thread;
  private volatile int width;
  private final boolean askWidth;

  ProgressLine(PrintStream terminal, Supplier<JobStatus> status) {
    this(terminal, status, -1);
  }

  /** @param width the terminal's columns, or -1 to ask it at {@link #start()} */
  ProgressLine(PrintStream terminal, Supplier<JobStatus> status, int width) {
    this.width = width < 0 ? Integer.MAX_VALUE : width;
    this.askWidth = width < 0;
    this.terminal = terminal;
    this.status = status;
    this.messages = new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        synchronized (lock) {
          erase();
          terminal.write(b, off, len);
        }
      }

      @Override
      public void flush() {
        terminal.flush();
      }
    }, true, StandardCharsets.UTF_8);
  }

  /** Whether stderr is a terminal (Linux: where fd 2 points; elsewhere: whether there is a console) and not a dumb one. */
  static boolean stderrIsTerminal() {
    return isTerminal(2);
  }

  /** Whether stdout is a terminal: results printed there would be torn by the line (it stays off then). */
  static boolean stdoutIsTerminal() {
    return isTerminal(1);
  }

  private static boolean isTerminal(int fd) {
    if ("dumb".equals(System.getenv("TERM"))) {
      return false;
    }
    try {
      String target = Files.readSymbolicLink(Paths.get("/proc/self/fd/" + fd)).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (Exception e) {
      return System.console() != null;
    }
  }

  /**
   * The terminal's width: {@code COLUMNS} when exported, else what {@code stty size} says of the
   * controlling terminal, else 80. The line is cut to one column less, so it never wraps (a
   * wrapped line cannot be erased in place).
   */
  static int terminalWidth() {
    try {
      String columns = System.getenv("COLUMNS");
      if (columns != null) {
        return Integer.parseInt(columns.trim());
      }
      Process p = new ProcessBuilder("sh", "-c", "stty size < /dev/tty").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      if (p.waitFor() == 0 && out.matches("\\d+ \\d+")) {
        return Integer.parseInt(out.split(" ")[1]);
      }
    } catch (Exception e) {
      // no terminal to ask
    } 
    return 80;
  }

  /** The stream for the job's messages: each one erases the line first. */
  PrintStream messages() {
    return messages;
  }

  void start() {
    if (askWidth) {
      width = terminalWidth();
    }
    thread = new Thread(() -> {
      try {
        while (true) {
          Thread.sleep(TICK_MILLIS);
          try {
            draw(System.nanoTime());
          } catch (RuntimeException e) {
            // a status taken while the job starts or stops: the next tick draws again
          }
        }
      } catch (InterruptedException e) {
        // stopped
      }
    }, "uniqcount-progress");
    thread.setDaemon(true);
    thread.start();
  }

  /** Stops redrawing and erases the line. */
  void stop() {
    if (thread != null) {
      thread.interrupt();
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (lock) {
      erase();
      terminal.flush();
    }
  }

  /** Draws the line once (the thread does every {@link #TICK_MILLIS}). */
  void draw(long nowNanos) {
    JobStatus s = status.get();
    String line = render(s, nowNanos);
    if (line.length() >= width) {
      line = line.substring(0, Math.max(1, width - 1));
    }
    synchronized (lock) {
      terminal.print(ERASE + line);
      terminal.flush();
      drawn = true;
    }
  }

  private void erase() {
    if (drawn) {
      terminal.print(ERASE);
      drawn = false;
    }
  }

  /** The line for this status, measured against the samples of the last {@link #WINDOW_NANOS}. */
  String render(JobStatus s, long nowNanos) {
    Sample now = new Sample(nowNanos, s.frames(), s.bytes(), s.progress().done());
    samples.addLast(now);
    while (samples.size() > 2 && nowNanos - samples.peekFirst().nanos > WINDOW_NANOS) {
      samples.removeFirst();
    }
    Sample first = samples.peekFirst();
    double seconds = (nowNanos - first.nanos) / 1e9;
    double framesPerSec = seconds <= 0 ? 0 : (now.frames - first.frames) / seconds;
    double mbPerSec = seconds <= 0 ? 0 : (now.bytes - first.bytes) / seconds / 1e6;
    double donePerSec = seconds <= 0 ? 0 : (now.done - first.done) / seconds;
    return format(s, framesPerSec, mbPerSec, donePerSec);
  }

  /** The line: pure, for tests. */
  static String format(JobStatus s, double framesPerSec, double mbPerSec, double donePerSec) {
    JobStatus.Progress p = s.progress();
    StringBuilder b = new StringBuilder("uniqcount: ");
    if (p.live()) {
      long lag = 0;
      for (JobStatus.PartitionStatus ps : s.partitions()) {
        lag += Math.max(0, ps.lag());
      }
      b.append("live, lag ").append(si(lag)).append(" records");
    } else if (p.total() >= 0) {
      b.append(String.format(Locale.ROOT, "%5.1f%%", 100 * p.fraction()));
      b.append(" of ").append(p.unit().equals("bytes") ? bytes(p.total()) : si(p.total()) + " records");
    }
    // the most useful first: a narrow terminal cuts the end
    if (!p.live() && p.total() > 0 && p.done() < p.total()) {
      b.append(", ETA ").append(donePerSec > 0 ? duration((p.total() - p.done()) / donePerSec) : "--:--");
    }
    if (!s.healthy()) {
      b.append(", FAILED");
    }
    b.append(b.length() > 11 ? ", " : "").append(si(framesPerSec)).append(" frames/s, ")
        .append(String.format(Locale.ROOT, "%.1f MB/s", mbPerSec));
    if (s.watermarkSec() != Long.MIN_VALUE) {
      b.append(", event time ").append(Instant.ofEpochSecond(s.watermarkSec()).truncatedTo(ChronoUnit.SECONDS));
    }
    b.append(", ").append(si(s.frames())).append(" frames");
    return b.toString();
  }

  /** 1234567 as "1.23M", 1234 as "1.23k", 123 as "123". */
  static String si(double v) {
    if (v >= 1e9) {
      return String.format(Locale.ROOT, "%.2fG", v / 1e9);
    }
    if (v >= 1e6) {
      return String.format(Locale.ROOT, "%.2fM", v / 1e6);
    }
    if (v >= 1e3) {
      return String.format(Locale.ROOT, "%.1fk", v / 1e3);
    }
    return String.format(Locale.ROOT, "%.0f", v);
  }

  static String bytes(long n) {
    if (n >= 1L << 30) {
      return String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
    }
    if (n >= 1L << 20) {
      return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
    }
    return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
  }

  /** Seconds as "m:ss" or "h:mm:ss". */
  static String duration(double seconds) {
    long s = (long) Math.ceil(seconds);
    if (s >= 3600) {
      return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
    return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }

  private record Sample(long nanos, long frames, long bytes, long done) {}
}
