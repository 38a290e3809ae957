package uniqcount.engine;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import uniqcount.frame.Reject;
import uniqcount.window.Partition;

/**
 * Run statistics on stderr: a progress line every interval on long runs and one final line.
 *
 * <pre>uniqcount: frames=200000 accepted=199800 rejected=200 elapsed_s=1.52 frames_per_s=131578
 *   mb_per_s=273.6 peak_heap_mb=212 peak_rss_mb=388 decode_share=0.62 scanner=swar rejected_by_reason=truncated:120,empty:80</pre>
 *
 * {@code decode_share} is the fraction of the workers' busy time spent decoding JSON (the rest
 * is window assignment and counting); reading and decompressing happen on another thread and are
 * not in it.
 */
final class Stats {
  private final List<Worker> workers;
  private final List<Partition> partitions;
  private final PrintStream err;
  private final long startNanos = System.nanoTime();
  private final String scanner;
  /** What partitions given up (Kafka) had judged here: {implausible, late dropped}. */
  private final Supplier<long[]> gone;
  private Thread reporter;

  Stats(List<Worker> workers, List<Partition> partitions, PrintStream err, String scanner,
      Supplier<long[]> gone) {
    this.gone = gone;
    this.workers = workers;
    this.partitions = partitions;
    this.err = err;
    this.scanner = scanner;
  }

  void startReporting(Duration interval) {
    if (interval.isZero()) {
      return;
    }
    reporter = new Thread(() -> {
      try {
        while (true) {
          Thread.sleep(interval.toMillis());
          err.println("uniqcount: progress " + line());
        }
      } catch (InterruptedException e) {
        // stopped
      }
    }, "uniqcount-stats");
    reporter.setDaemon(true);
    reporter.start();
  }

  void stop() {
    if (reporter != null) {
      reporter.interrupt();
      try {
        reporter.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  void printFinal() {
    err.println("uniqcount: done " + line());
  }

  String line() {
    long[] given = gone.get(); // a Kafka run gives its partitions up before its last line
    long implausible = given[0];
    long lateDropped = given[1];
    long[] rejected = new long[Reject.count()];
    long[] total = Worker.WorkerStats.sum(workers);
    long frames = total[Worker.WorkerStats.FRAMES];
    long accepted = total[Worker.WorkerStats.ACCEPTED];
    long bytes = total[Worker.WorkerStats.BYTES];
    long decodeNanos = total[Worker.WorkerStats.DECODE_NANOS];
    long busyNanos = total[Worker.WorkerStats.BUSY_NANOS];
    System.arraycopy(total, Worker.WorkerStats.REJECTS, rejected, 0, rejected.length);
    long waiting = 0;
    for (Partition p : partitions) {
      implausible += p.implausible();
      lateDropped += p.lateDropped();
      waiting += p.pendingFrames(); // decoded, not counted yet: an input read ahead waits for the one before
    }
    accepted -= waiting;
    double seconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
    StringBuilder reasons = new StringBuilder();
    long rejectedTotal = 0;
    for (int i = 0; i < rejected.length; i++) {
      if (rejected[i] > 0) {
        reasons.append(reasons.length() == 0 ? "" : ",").append(Reject.of(i).label()).append(':').append(rejected[i]);
        rejectedTotal += rejected[i];
      }
    }
    return String.format(Locale.ROOT,
        "frames=%d accepted=%d rejected=%d implausible_ts=%d late_dropped=%d%s elapsed_s=%.2f frames_per_s=%.0f mb_per_s=%.1f peak_heap_mb=%d peak_rss_mb=%s decode_share=%.2f scanner=%s rejected_by_reason=%s",
        frames, accepted, rejectedTotal, implausible, lateDropped, waiting > 0 ? " waiting=" + waiting : "", seconds, frames / seconds, bytes / seconds / 1e6,
        peakHeapBytes() >> 20, peakRssMb(), busyNanos == 0 ? 0.0 : (double) decodeNanos / busyNanos, scanner,
        reasons.length() == 0 ? "none" : reasons);
  }

  private static long peakHeapBytes() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum;
  }

  /** VmHWM from /proc (Linux); "n/a" elsewhere. */
  private static String peakRssMb() {
    try {
      for (String l : Files.readAllLines(Paths.get("/proc/self/status"))) {
        if (l.startsWith("VmHWM:")) {
          return Long.toString(Long.parseLong(l.replaceAll("[^0-9]", "")) >> 10);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return "n/a";
  }
}
