package uniqcount.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import uniqcount.UserException;
import uniqcount.checkpoint.Snapshot;
import uniqcount.emit.Emitter;
import uniqcount.emit.ResultRecord;
import uniqcount.frame.BlockScanner;
import uniqcount.frame.FrameDecoder;
import uniqcount.kafka.KafkaAdmin;
import uniqcount.sink.JsonLinesSink;
import uniqcount.sink.CountingSink;
import uniqcount.sink.KafkaResultSink;
import uniqcount.sink.ResultSink;
import uniqcount.sink.TeeSink;
import uniqcount.window.Clock;
import uniqcount.window.Granularity;
import uniqcount.window.Partition;
import uniqcount.window.Windows;
import uniqcount.window.ZoneCalendar;

/**
 * One {@code count} job: start, run, stop. Owns the threads (workers, the emitter loop, the
 * stats reporter; the ingest's reader or consumers), the partitions that hold all counting state,
 * the merge step ({@link Emitter}), the sinks and the checkpoints. Files and Kafka are two
 * {@link Ingest} adapters of this one job.
 *
 * <p><b>One failure path.</b> Any thread that fails calls {@link #fail}: the first cause is kept,
 * later ones (often consequences: an input closed by the interrupt that stopped its reader) are
 * attached to it as suppressed. Then every thread is stopped and joined, every sink closed, and
 * {@link #run()} throws the first cause: a {@link UserException} as it is, an I/O error as a
 * {@link UserException} with its message, anything else as an internal error.
 *
 * <p><b>Time.</b> Every decision that depends on wall time — the idle exit, the checkpoint
 * interval, early and update intervals, idle partitions, live-input plausibility — reads the
 * injected {@link Clock}, so tests drive them without sleeping.
 */
public final class Job {
  private final JobConfig config;
  private final Streams streams;
  private final Clock clock;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final List<ResultSink> extraSinks = new ArrayList<>();
  /** Held by the emitter for a round and by a checkpoint, so a snapshot sees no half round. */
  private final ReentrantLock emitLock = new ReentrantLock();
  private volatile boolean stopRequested;
  private volatile Thread mainThread;
  private volatile Stats stats;
  private volatile Ingest ingest;
  /** Counts every record this process publishes (the sinks sit behind it). */
  private volatile CountingSink published;
  /** Implausible and late-dropped frames of partitions this process gave up (Kafka), so the counters only grow. */
  private final java.util.concurrent.atomic.AtomicLong goneImplausible = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong goneLateDropped = new java.util.concurrent.atomic.AtomicLong();

  private volatile List<Partition> partitions;
  private volatile List<Worker> workers;
  private volatile Windows retired;
  private ZoneCalendar calendar;
  private volatile Emitter emitter;
  private ResultSink sink;
  private JsonLinesSink fileSink;
  private volatile Checkpoints checkpoints;
  private EmitterLoop emitterLoop;

  /**
   * @param config what to do
   * @param streams standard input (for {@code -}), output and error
   * @param clock wall time for every timing decision
   */
  public Job(JobConfig config, Streams streams, Clock clock) {
    this.config = config;
    this.streams = streams;
    this.clock = clock;
  }

  /** The process's standard streams. */
  public record Streams(InputStream in, PrintStream out, PrintStream err) {
    /** System.in, System.out and System.err. */
    public static Streams system() {
      return new Streams(System.in, System.out, System.err);
    }
  }

  /** Also sends every record to {@code sink} (the demo's table); call before {@link #run()}. */
  public Job withSink(ResultSink extra) {
    extraSinks.add(extra);
    return this;
  }

  /**
   * Asks the job to stop (Ctrl-C): what was read is counted and checkpointed, results published
   * so far stand, open windows are not flushed. Any thread may call it.
   */
  public void requestStop() {
    stopRequested = true;
  }

  /** The current stats line, or "starting". */
  public String statsLine() {
    Stats s = stats;
    return s == null ? "starting" : s.line();
  }

  /** Whether the job has not failed (also before it started and after it ended well). */
  public boolean healthy() {
    return failure.get() == null;
  }

  /**
   * What the job can tell about itself now (for metrics and progress); any thread, at any time
   * (before the start, some values are zero).
   */
  public JobStatus status() {
    List<Worker> ws = workers;
    long[] total = Worker.WorkerStats.sum(ws == null ? List.of() : ws);
    long frames = total[Worker.WorkerStats.FRAMES];
    long accepted = total[Worker.WorkerStats.ACCEPTED];
    long bytes = total[Worker.WorkerStats.BYTES];
    long decodeNanos = total[Worker.WorkerStats.DECODE_NANOS];
    long busyNanos = total[Worker.WorkerStats.BUSY_NANOS];
    Map<String, Long> reasons = new java.util.LinkedHashMap<>();
    for (int i = 0; i < uniqcount.frame.Reject.count(); i++) {
      reasons.put(uniqcount.frame.Reject.of(i).label(), total[Worker.WorkerStats.REJECTS + i]);
    }
    Map<String, Long> results = new java.util.LinkedHashMap<>();
    CountingSink counted = published;
    for (ResultRecord.Status s : ResultRecord.Status.values()) {
      results.put(s.label(), counted == null ? 0 : counted.written(s));
    }
    // what was judged here: a partition restored from state brings its history along, and one
    // given up keeps its share in the gone counters
    long implausible = goneImplausible.get();
    long lateDropped = goneLateDropped.get();
    List<Partition> all = partitions;
    if (all != null) {
      for (Partition p : all) {
        implausible += p.implausibleHere();
        lateDropped += p.lateDroppedHere();
      }
    }
    Ingest in = ingest;
    Ingest.Status is = in == null || ws == null ? null : in.status();
    List<JobStatus.WindowStats> windows = new ArrayList<>();
    if (all != null) {
      List<Windows> counting = new ArrayList<>();
      for (Partition p : all) {
        counting.add(p.windows());
      }
      if (retired != null) {
        counting.add(retired);
      }
      windowStats("counting", counting, windows);
    }
    if (is != null && !is.mergeViews().isEmpty()) {
      windowStats("merge", is.mergeViews(), windows);
    }
    List<JobStatus.PartitionStatus> ps = new ArrayList<>();
    if (is != null) {
      for (Ingest.Counted c : is.partitions()) {
        ps.add(new JobStatus.PartitionStatus(c.id(), c.partition().watermarkSec(), c.lag()));
      }
    }
    Emitter e = emitter;
    long watermark = is != null && is.watermarkSec() != null ? is.watermarkSec()
        : e != null ? e.watermarkSec() : Long.MIN_VALUE;
    Checkpoints cp = checkpoints;
    JobStatus.Commits commits = is != null && is.commits() != null ? is.commits()
        : cp != null ? cp.status() : new JobStatus.Commits(false, 0, 0, -1, 0);
    return new JobStatus(healthy(), frames, accepted, reasons, implausible, lateDropped, bytes, decodeNanos / 1e9,
        busyNanos / 1e9, results, windows, watermark, ps,
        is == null ? new JobStatus.Progress("bytes", 0, -1, false) : is.progress(), commits,
        is == null ? 0 : is.partialsPublished(), is == null ? 0 : is.partialsMerged());
  }

  /** Adds the open windows and their counters' bytes per granularity of {@code sources}. */
  private void windowStats(String kind, List<Windows> sources, List<JobStatus.WindowStats> out) {
    Map<uniqcount.window.Granularity, long[]> by = new java.util.EnumMap<>(uniqcount.window.Granularity.class);
    for (uniqcount.window.Granularity g : config.counting().windows()) {
      by.put(g, new long[2]);
    }
    for (Windows w : sources) {
      w.forEachWindow(window -> {
        long[] t = by.get(window.granularity());
        if (t != null) {
          t[0]++;
          t[1] += window.counter().sizeBytes();
        }
      });
    }
    by.forEach((g, t) -> out.add(new JobStatus.WindowStats(g.label(), kind, t[0], t[1])));
  }

  /**
   * Runs the job to its end: the input is over (files; Kafka with an idle exit), or a stop was
   * requested. Returns the exit status (0).
   *
   * @throws UserException when an input, output, cluster or checkpoint failed
   */
  public int run() {
    mainThread = Thread.currentThread();
    Ingest ingest = config.input() instanceof JobConfig.TopicInput
        ? new KafkaIngest(this, (JobConfig.TopicInput) config.input())
        : new FileIngest(this, (JobConfig.FileInput) config.input());
    this.ingest = ingest;
    Ingest.End end = null;
    try {
      start(ingest);
      end = ingest.run();
    } catch (Throwable e) {
      fail(e);
    }
    if (failure.get() == null) {
      try {
        stopThreads(ingest); // the last emitter round or a consumer may still fail here
        if (failure.get() == null) {
          finish(ingest, end);
          return 0;
        }
      } catch (Throwable e) {
        fail(e);
      }
    }
    // the failure path: stop and join everything, close every sink, report the first cause
    Thread.interrupted(); // the wake-up call has done its work; joins and closes must not be cut short
    stopThreads(ingest);
    Thread.interrupted();
    closeQuietly();
    throw report(failure.get());
  }

  /** Builds the state, restores a snapshot, opens the sinks and starts the emitter and stats. */
  private void start(Ingest ingest) throws IOException {
    BlockScanner scanner;
    try {
      scanner = BlockScanner.choose(config.counting().scanner(), config.counting().trustInput());
    } catch (IllegalStateException e) {
      throw UserException.usage(e.getMessage());
    }
    // files are resolved first (a mistyped path is reported at once); then the cluster: input
    // topic, output topic, checkpoint topic
    int partitionCount = config.topicInput() == null ? ingest.open(null) : -1;
    if (config.topicInput() != null || config.output().topic() != null) {
      try (KafkaAdmin admin = new KafkaAdmin(config.kafka().settings(), config.kafka().timeout())) {
        admin.checkReachable();
        if (partitionCount < 0) {
          partitionCount = ingest.open(admin);
        }
        if (config.output().topic() != null) {
          admin.createIfMissing(config.output().topic(), 0, Map.of("cleanup.policy", "compact"));
        }
      }
    }
    JobConfig.Counting c = config.counting();
    calendar = new ZoneCalendar(c.zone());
    List<Worker> built = new ArrayList<>();
    int threads = c.threads() > 0 ? c.threads() : Math.min(256, ingest.workers());
    for (int i = 0; i < threads; i++) {
      built.add(new Worker(new FrameDecoder(c.uidField(), c.tsField(), c.maxFrameBytes(), scanner, c.trustInput(),
          c.counter().sketchHash())));
    }
    workers = built; // published whole: the status reads it from other threads
    String scannerLabel = BlockScanner.name(scanner) + (c.trustInput() ? "+trust" : "");
    if (config.topicInput() != null) {
      // Kafka: partitions come and go with the group; the ingest merges, commits and publishes
      partitions = new CopyOnWriteArrayList<>();
      sink = openSinks(-1);
      stats = new Stats(workers, partitions, streams.err(), scannerLabel, this::goneCounts);
      stats.startReporting(config.timing().statsInterval());
      return;
    }
    List<Partition> inputs = new ArrayList<>();
    for (int i = 0; i < partitionCount; i++) {
      inputs.add(newPartition());
    }
    ingest.link(inputs);
    retired = newWindows();
    partitions = inputs;
    emitter = published(new Emitter(partitions, retired, config.timing().policy(), c.counter(), clock,
        config.timing().emit() == JobConfig.Emit.EARLY, config.timing().earlyInterval().toNanos()));
    checkpoints = new Checkpoints(config, clock, config.fingerprint(ingest.describe()), partitions, retired, emitter,
        workers);
    Snapshot restored = checkpoints.restore(ingest.keepsFinished(), streams.err());
    ingest.startAt(restored == null ? null : restored.positions().clone());
    checkpoints.postpone();
    sink = openSinks(restored == null ? -1 : restored.outputPosition());
    if (restored != null && fileSink == null) {
      // stdout or a plain topic cannot have kept what was published before the restart
      for (ResultRecord r : emitter.republish()) {
        published.uncounted().write(r);
      }
      sink.flush();
    }
    stats = new Stats(workers, partitions, streams.err(), scannerLabel, this::goneCounts);
    stats.startReporting(config.timing().statsInterval());
    long tickMillis = Math.max(10, Math.min(200, config.timing().earlyInterval().toMillis()));
    emitterLoop = new EmitterLoop(emitter, sink, emitLock, tickMillis, this::fail);
    emitterLoop.start();
  }

  /** The emitter with what the output options add to its records: sketches, rolling windows. */
  Emitter published(Emitter e) {
    if (config.output().sketches()) {
      e.withSketches();
    }
    if (!config.timing().rolling().isEmpty()) {
      e.withRolling(config.timing().rolling(), calendar, config.counting().windows().contains(Granularity.DAY));
    }
    return e;
  }

  private ResultSink openSinks(long resumeAt) throws IOException {
    List<ResultSink> sinks = new ArrayList<>(extraSinks);
    JobConfig.Output o = config.output();
    if (o.topic() != null && config.topicInput() == null) {
      sinks.add(new KafkaResultSink(config.kafka().settings(), o.topic()));
    }
    if (o.stdout()) {
      sinks.add(new JsonLinesSink(streams.out(), false, "stdout"));
    }
    if (o.file() != null) {
      try {
        if (config.recovery().checkpointDir() != null) {
          fileSink = JsonLinesSink.file(o.file(), resumeAt);
          sinks.add(fileSink);
        } else {
          OutputStream out = Files.newOutputStream(o.file());
          sinks.add(new JsonLinesSink(out, true, o.file().toString()));
        }
      } catch (IOException e) {
        throw UserException.failure("--output " + o.file() + ": cannot write (" + e.getMessage() + ")", e);
      }
    }
    published = new CountingSink(sinks.size() == 1 ? sinks.get(0) : new TeeSink(sinks));
    return published;
  }

  /**
   * Publishes the last records (every window final when the input is over), takes the last
   * checkpoint, closes the sinks and prints the final stats.
   */
  private void finish(Ingest ingest, Ingest.End end) throws IOException {
    try (ResultSink s = sink) {
      sink = null;
      if (end != Ingest.End.STOPPED && emitter != null) { // (Kafka: the merging member flushed)
        for (List<ResultRecord> batch = emitter.flush(); !batch.isEmpty(); batch = emitter.flushMore()) {
          for (ResultRecord r : batch) {
            s.write(r);
          }
        }
      }
      if (config.recovery().checkpointDir() != null) {
        takeCheckpoint(ingest.finalPositions(end), s);
      }
    }
    stats.printFinal();
  }

  // ---- called by the ingest adapters ----

  JobConfig config() {
    return config;
  }

  /** The ingest adapter (tests), or null before the run. */
  Ingest ingest() {
    return ingest;
  }

  Streams streams() {
    return streams;
  }

  Clock clock() {
    return clock;
  }

  List<Partition> partitions() {
    return partitions;
  }

  /** What the partitions given up had judged here: {implausible, late dropped}. */
  private long[] goneCounts() {
    return new long[] {goneImplausible.get(), goneLateDropped.get()};
  }

  /** A partition this process no longer counts (Kafka: moved to another member): its share stays in the counters. */
  void removePartition(Partition p) {
    if (partitions.remove(p)) {
      goneImplausible.addAndGet(p.implausibleHere());
      goneLateDropped.addAndGet(p.lateDroppedHere());
    }
  }

  /** A fresh, empty partition with this job's windows, counter and event-time rules. */
  Partition newPartition() {
    return new Partition(config.timing().policy(), clock, newWindows());
  }

  /** Fresh, empty windows of this job's granularities and counter. */
  Windows newWindows() {
    JobConfig.Counting c = config.counting();
    return new Windows(c.windows(), calendar, c.counter(), config.timing().policy());
  }

  /** The sinks of this process (stdout, a file, the demo's table), for the merging member. */
  ResultSink localSink() {
    return sink;
  }

  /** The same sinks, without counting (a merger that took over republishes what was published). */
  ResultSink localSinkUncounted() {
    return published.uncounted();
  }

  List<Worker> workers() {
    return workers;
  }

  boolean stopRequested() {
    return stopRequested;
  }

  boolean failed() {
    return failure.get() != null;
  }

  /** Whether a checkpoint is due now on the job's clock (never when checkpoints are off). */
  boolean checkpointDue() {
    return checkpoints.due();
  }

  /** Skips the checkpoint that is due (the input could not be paused); tries again one interval later. */
  void postponeCheckpoint() {
    checkpoints.postpone();
  }

  /**
   * Takes a checkpoint of the whole state with these input positions; the caller guarantees that
   * no batch is being applied (every frame before the positions counted, none after).
   */
  void checkpoint(long[] positions) {
    takeCheckpoint(positions, sink);
  }

  private void takeCheckpoint(long[] positions, ResultSink out) {
    emitLock.lock();
    try {
      checkpoints.take(positions, out, fileSink);
    } finally {
      emitLock.unlock();
    }
  }

  /**
   * Records a failure of any thread: the first is the one reported, later ones are attached to
   * it. Wakes the job's main thread.
   */
  void fail(Throwable e) {
    if (!failure.compareAndSet(null, e)) {
      Throwable first = failure.get();
      if (first != e && !(e instanceof InterruptedException)) {
        first.addSuppressed(e);
      }
      return;
    }
    Thread main = mainThread;
    if (main != null && main != Thread.currentThread()) {
      main.interrupt();
    }
  }

  /**
   * Stops the emitter loop, then the ingest (its reader or consumers, and the workers), then the
   * stats; joins them. The emitter goes first: consumers end their partitions as they close, and
   * a round that saw some partitions ended and others not would move the watermark over the
   * running ones only and publish finals too early.
   */
  private void stopThreads(Ingest ingest) {
    if (emitterLoop != null) {
      emitterLoop.stopAndJoin();
    }
    try {
      ingest.stop();
    } catch (Throwable e) {
      fail(e);
    }
    if (stats != null) {
      stats.stop();
    }
  }

  /** Closes the sinks. */
  private void closeQuietly() {
    ResultSink open = sink;
    sink = null;
    if (open != null) {
      try {
        open.close();
      } catch (Throwable e) {
        failure.get().addSuppressed(e);
      }
    }
  }

  private static RuntimeException report(Throwable e) {
    if (e instanceof UncheckedIOException) {
      e = e.getCause();
    }
    if (e instanceof UserException) {
      return (UserException) e;
    }
    if (e instanceof IOException) {
      return UserException.failure(e.getMessage() != null ? e.getMessage() : e.toString(), e);
    }
    if (e instanceof RuntimeException) {
      return (RuntimeException) e;
    }
    return new IllegalStateException(e.toString(), e);
  }

  /** Positions as a fresh array of {@code n} values, all {@code fill}. */
  static long[] positions(int n, long fill) {
    long[] p = new long[n];
    Arrays.fill(p, fill);
    return p;
  }
}
