package uniqcount.engine;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import uniqcount.UserException;
import uniqcount.checkpoint.CheckpointStore;
import uniqcount.checkpoint.Snapshot;
import uniqcount.checkpoint.StateCodec;
import uniqcount.emit.Emitter;
import uniqcount.sink.JsonLinesSink;
import uniqcount.sink.ResultSink;
import uniqcount.window.Clock;
import uniqcount.window.Partition;
import uniqcount.window.Windows;

/**
 * A job's snapshots: where they go ({@code --checkpoint DIR}, or the {@code --exactly-once}
 * transaction with the results and the input offsets), when they are due (the job's clock), how
 * the whole state is captured and how a snapshot is restored into a fresh job.
 */
final class Checkpoints {
  private final JobConfig config;
  private final Clock clock;
  private final String fingerprint;
  private final List<Partition> partitions;
  private final Windows retired;
  private final Emitter emitter;
  private final List<Worker> workers;
  private final CheckpointStore store;
  private long nextNanos;
  private final long startNanos;
  private volatile long taken;
  private volatile long failures;
  private volatile long lastNanos = -1;
  private volatile long lastDurationNanos;

  /** Opens where snapshots go ({@code --checkpoint DIR}; Kafka input keeps its state in its state topic instead). */
  Checkpoints(JobConfig config, Clock clock, String fingerprint, List<Partition> partitions, Windows retired,
      Emitter emitter, List<Worker> workers) {
    this.config = config;
    this.clock = clock;
    this.fingerprint = fingerprint;
    this.partitions = partitions;
    this.retired = retired;
    this.emitter = emitter;
    this.workers = workers;
    JobConfig.Recovery r = config.recovery();
    store = r.checkpointDir() == null ? null : new CheckpointStore(r.checkpointDir());
    startNanos = clock.nanoTime();
    postpone();
  }

  /** Whether a snapshot is due on the job's clock (never when checkpoints are off). */
  boolean due() {
    return store != null && clock.nanoTime() >= nextNanos;
  }

  /** The next snapshot is due one interval from now. */
  void postpone() {
    nextNanos = clock.nanoTime() + config.recovery().interval().toNanos();
  }

  /**
   * Loads the newest usable snapshot into the fresh state, or returns null to start from zero.
   *
   * @param keepFinished whether a partition finished in the snapshot stays finished (files)
   * @throws UserException if the snapshot is damaged or was made with other options or input
   */
  Snapshot restore(boolean keepFinished, PrintStream err) throws IOException {
    Snapshot s;
    String where;
    if (store != null) {
      where = config.recovery().checkpointDir().toString();
      s = store.readLatest(err);
    } else {
      return null;
    }
    if (s == null) {
      return null;
    }
    if (!s.fingerprint().equals(fingerprint)) {
      throw UserException.failure("the checkpoint was made with other options or input: "
          + differences(s.fingerprint(), fingerprint) + "; use the same options and input, or another --checkpoint directory");
    }
    if (s.partitions().size() != partitions.size() || s.positions().length != partitions.size()) {
      throw UserException.failure("the checkpoint has " + s.partitions().size() + " partitions, the input now "
          + partitions.size());
    }
    if (s.totals().length != Worker.WorkerStats.SIZE) {
      throw UserException.failure("the checkpoint's stats have " + s.totals().length + " fields, expected "
          + Worker.WorkerStats.SIZE);
    }
    try {
      emitter.restore(s.emitter());
      for (int i = 0; i < partitions.size(); i++) {
        partitions.get(i).restore(s.partitions().get(i), config.counting().counter(), keepFinished);
      }
      retired.restore(s.retired(), config.counting().counter());
    } catch (IllegalArgumentException e) {
      throw UserException.failure("the checkpoint in " + where + " does not fit this run: " + e.getMessage(), e);
    }
    workers.get(0).restoreTotals(s.totals());
    err.println("uniqcount: resuming from the checkpoint in " + where);
    return s;
  }

  /**
   * Takes a snapshot of the whole state with these input positions. The caller guarantees that
   * nothing moves meanwhile: no batch is being applied and no emitter round runs.
   *
   * @param out the results sink, flushed first
   * @param fileSink the output file, whose length the snapshot records, or null
   */
  void take(long[] positions, ResultSink out, JsonLinesSink fileSink) {
    long started = clock.nanoTime();
    try {
      out.flush();
      long outputPosition = fileSink == null ? -1 : fileSink.position();
      List<Partition.State> states = new ArrayList<>();
      for (Partition p : partitions) {
        states.add(p.state());
      }
      Snapshot snapshot = new Snapshot(fingerprint, positions.clone(), outputPosition, emitter.state(), states,
          retired.state(), totals());
      store.write(snapshot);
      lastNanos = clock.nanoTime();
      lastDurationNanos = lastNanos - started;
      taken++;
    } catch (IOException e) {
      failures++;
      throw UserException.failure("cannot write a checkpoint to " + config.recovery().checkpointDir() + ": "
          + e.getMessage(), e);
    } finally {
      postpone();
    }
  }

  /** The checkpoints taken so far, for the job's status. */
  JobStatus.Commits status() {
    if (store == null) {
      return new JobStatus.Commits(false, 0, 0, -1, 0);
    }
    long last = lastNanos;
    return new JobStatus.Commits(true, taken, failures, (clock.nanoTime() - (last < 0 ? startNanos : last)) / 1e9,
        lastDurationNanos / 1e9);
  }

  /** What differs between two fingerprints, as "--lateness was 5s, now 10s; ...", at most three items. */
  static String differences(String before, String now) {
    Map<String, String> a = entries(before);
    Map<String, String> b = entries(now);
    java.util.Set<String> keys = new java.util.LinkedHashSet<>(a.keySet());
    keys.addAll(b.keySet());
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      String x = a.get(k);
      String y = b.get(k);
      if (x != null && x.equals(y)) {
        continue;
      }
      if (k.equals("hash") && x == null && "hll".equals(a.get("--counter"))) {
        out.add(0, "the state was made before hll counters took DataSketches' hash (uniqcount 0.1 before issue 15), so"
            + " its registers cannot be continued: start it over");
      } else if (x == null) {
        out.add(k + " is new (" + shorten(y) + ")");
      } else if (y == null) {
        out.add(k + " is gone (was " + shorten(x) + ")");
      } else {
        out.add(k + " was " + shorten(x) + ", now " + shorten(y));
      }
    }
    if (out.isEmpty()) {
      return "they differ";
    }
    String shown = String.join("; ", out.subList(0, Math.min(3, out.size())));
    return out.size() > 3 ? shown + "; and " + (out.size() - 3) + " more" : shown;
  }

  private static Map<String, String> entries(String fingerprint) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    for (String line : fingerprint.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        m.put(line.substring(0, eq), line.substring(eq + 1));
      } else if (!line.isEmpty()) {
        m.put(line, "");
      }
    }
    return m;
  }

  private static String shorten(String v) {
    return v.length() <= 120 ? v : v.substring(0, 117) + "...";
  }

  private long[] totals() {
    long[] t = new long[Worker.WorkerStats.SIZE];
    for (Worker w : workers) {
      for (int i = 0; i < t.length; i++) {
        t[i] += w.stats().get(i);
      }
    }
    return t;
  }
}
