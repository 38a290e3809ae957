package uniqcount.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uniqcount.UserException;
import uniqcount.count.CounterSpec;
import uniqcount.emit.ResultRecord;
import uniqcount.engine.EngineHarness.Captured;
import uniqcount.gen.FrameGenerator;
import uniqcount.gen.GeneratorOptions;
import uniqcount.kafka.KafkaAdmin;
import uniqcount.kafka.KafkaFrameWriter;
import uniqcount.kafka.KafkaSettings;
import uniqcount.kafka.SharedBroker;
import uniqcount.reference.ReferenceCounts;
import uniqcount.sink.ResultSink;

/**
 * The job driven through its API ({@link JobConfig} → {@link Job}), with an injected clock for
 * every timing decision: the idle exit and checkpoints happen when the clock says, not when real
 * time passes; a failing worker, sink or source each ends the job with one clear error, every
 * thread joined and every sink closed, never a hang.
 */
class JobTest {
  private static final long START = 1_468_244_384L; // 2016-07-11T13:39:44Z
  private static final long SECOND = 1_000_000_000L;

  @TempDir
  Path dir;

  /** {@code count} valid frames at 50/s from {@link #START}. */
  private static byte[] frames(int count, long seed) throws IOException {
    return generate(START, count, seed, false);
  }

  /** {@code count} frames at 50/s from {@code startSec}, of 300 users; {@code faults}: some bit flips and broken frames. */
  private static byte[] generate(long startSec, int count, long seed, boolean faults) throws IOException {
    GeneratorOptions o = new GeneratorOptions();
    o.count = count;
    o.ratePerSec = 50;
    o.users = 300;
    o.seed = seed;
    o.sizeBytes = 300;
    o.startSec = startSec;
    if (faults) {
      o.bitflipProb = 0.001;
      o.badProb = 0.01;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new FrameGenerator(o).writeAll(out);
    return out.toByteArray();
  }

  private static JobConfig.Builder exact() {
    return JobConfig.builder().counter(CounterSpec.exact()).threads(2).statsInterval(Duration.ZERO);
  }

  /** Runs a job on its own thread; {@link #join} returns its exit status or throws what it threw. */
  private static final class Running {
    final Thread thread;
    final AtomicReference<Object> outcome = new AtomicReference<>();

    final Job job;
    java.util.function.Supplier<String> err = () -> "(not captured)";

    Running(Job job) {
      this.job = job;
      thread = new Thread(() -> {
        try {
          outcome.set(job.run());
        } catch (Throwable e) {
          outcome.set(e);
        }
      }, "test-job");
      thread.start();
    }

    Object join(Duration within) throws InterruptedException {
      thread.join(within.toMillis());
      if (thread.isAlive()) {
        job.requestStop(); // the next test must not meet this job's threads
        fail("the job did not end within " + within + "; its stderr:\n" + err.get() + "\nits threads:\n" + jobThreads());
      }
      return outcome.get();
    }
  }

  /** The stacks of the job's threads, for a job that hangs. */
  private static String jobThreads() {
    StringBuilder b = new StringBuilder();
    Thread.getAllStackTraces().forEach((t, stack) -> {
      if (t.getName().startsWith("uniqcount") || t.getName().equals("test-job")) {
        b.append(t.getName()).append(" ").append(t.getState()).append('\n');
        for (StackTraceElement e : stack) {
          b.append("    at ").append(e).append('\n');
        }
      }
    });
    return b.toString();
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + 30 * SECOND;
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      Thread.sleep(20);
    }
  }

  private static void assertNoJobThreadsLeft() throws InterruptedException {
    await("the job's threads to end", () -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.isAlive() && (t.getName().startsWith("uniqcount-worker") || t.getName().startsWith("uniqcount-reader")
            || t.getName().equals("uniqcount-emitter")
            || t.getName().startsWith("uniqcount-kafka") || t.getName().equals("uniqcount-stats"))));
  }

  @Test
  void aFileJobCountsWhatTheReferenceCounts() throws Exception {
    byte[] data = frames(20_000, 1);
    Path a = dir.resolve("a.jsonl");
    Path b = dir.resolve("b.jsonl");
    int half = indexAfterLine(data, 10_000);
    Files.write(a, java.util.Arrays.copyOf(data, half));
    Files.write(b, java.util.Arrays.copyOfRange(data, half, data.length));
    Captured io = new Captured();
    int exit = new Job(exact().files(List.of(a.toString(), b.toString())).threads(3).build(), io.streams(InputStream.nullInputStream()),
        new EngineHarness.ManualClock()).run();
    assertEquals(0, exit);
    ReferenceCounts reference = new ReferenceCounts(ZoneId.of("UTC")).addLines(data);
    Map<String, String> latest = uniqcount.cli.Cli.lastValuesPerWindow(io.out());
    assertEquals(reference.windows.keySet(), latest.keySet());
    reference.windows.forEach((k, w) -> assertEquals(w.uids.size() + "/" + w.frames, latest.get(k), k));
    assertTrue(io.err().startsWith("uniqcount: done frames=20000 accepted=20000 "), io.err());
  }

  private static int indexAfterLine(byte[] data, int lines) {
    int seen = 0;
    for (int i = 0; i < data.length; i++) {
      if (data[i] == '\n' && ++seen == lines) {
        return i + 1;
      }
    }
    return data.length;
  }

  @Test
  void checkpointsAreTakenWhenTheInjectedClockSaysSo() throws Exception {
    EngineHarness.ManualClock clock = new EngineHarness.ManualClock();
    Path checkpoints = dir.resolve("checkpoints");
    PipedOutputStream feed = new PipedOutputStream();
    PipedInputStream in = new PipedInputStream(feed, 1 << 20);
    Captured io = new Captured();
    Job job = new Job(exact().recovery(new JobConfig.Recovery(checkpoints, Duration.ofSeconds(10), false, "unused"))
        .build(), io.streams(in), clock);
    Running running = new Running(job);
    byte[] data = frames(3_000, 2);
    int third = indexAfterLine(data, 1_000);
    feed.write(data, 0, third);
    feed.flush();
    await("the first frames counted", () -> job.statsLine().contains("frames=1000 "));
    Thread.sleep(300); // real time passes; the job's clock does not
    assertEquals(0, snapshots(checkpoints), "no checkpoint before the interval passed on the job's clock");

    clock.advance(11 * SECOND);
    int twoThirds = indexAfterLine(data, 2_000);
    feed.write(data, third, twoThirds - third);
    feed.flush();
    await("a checkpoint", () -> snapshots(checkpoints) == 1);
    await("the next frames counted", () -> job.statsLine().contains("frames=2000 "));
    feed.write(data, twoThirds, data.length - twoThirds);
    feed.close();
    assertEquals(0, running.join(Duration.ofSeconds(30)));
    assertEquals(2, snapshots(checkpoints), "the last checkpoint at the end of input (the previous one kept)");
  }

  private static long snapshots(Path dir) {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".ucp")).count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A two-partition topic on the shared broker holding {@code frames}, one record per line; its client settings. */
  private static KafkaSettings topicWith(String topic, byte[] frames) throws Exception {
    KafkaSettings settings = KafkaSettings.of(SharedBroker.bootstrapServers(), null, List.of());
    try (KafkaAdmin admin = new KafkaAdmin(settings, Duration.ofSeconds(15))) {
      admin.createIfMissing(topic, 2, Map.of());
    }
    try (KafkaFrameWriter out = new KafkaFrameWriter(settings, topic, "lz4")) {
      out.write(frames);
    }
    return settings;
  }

  /** Progress counts the inputs' bytes as stored (a gzip's compressed bytes), and reaches their total at the end. */
  @Test
  void progressCountsTheInputsAsStoredAndEndsAtTheirTotal() throws Exception {
    byte[] data = frames(5_000, 4);
    Path plain = dir.resolve("p.jsonl");
    Path gz = dir.resolve("p2.jsonl.gz");
    Files.write(plain, data);
    try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write(data);
    }
    Job job = new Job(exact().files(List.of(plain.toString(), gz.toString())).build(),
        new Captured().streams(InputStream.nullInputStream()), new EngineHarness.ManualClock());
    assertEquals(-1, job.status().progress().total(), "nothing known before the start");
    assertEquals(0, job.run());
    JobStatus.Progress p = job.status().progress();
    assertEquals("bytes", p.unit());
    assertEquals(Files.size(plain) + Files.size(gz), p.total());
    assertEquals(p.total(), p.done());
    assertEquals(1.0, p.fraction());
    assertEquals(10_000, job.status().frames());
  }

  @Test
  void theIdleExitFollowsTheInjectedClock() throws Exception {
    String topic = "job-idle";
    byte[] data = frames(2_000, 3);
    KafkaSettings settings = topicWith(topic, data);
    EngineHarness.ManualClock clock = new EngineHarness.ManualClock();
    Captured io = new Captured();
    Job job = new Job(exact().kafka(settings, Duration.ofSeconds(15))
        .topic(topic, "job-idle-test", JobConfig.StartPosition.EARLIEST, Duration.ofSeconds(30)).build(),
        io.streams(InputStream.nullInputStream()), clock);
    Running running = new Running(job);
    running.err = io::err;
    await("every record counted", () -> job.statsLine().contains("frames=2000 "));
    Thread.sleep(500);
    assertTrue(running.thread.isAlive(), "no exit while the job's clock stands still");
    // A member that got its partition after the advance (a late rebalance on a loaded machine)
    // counts its idle time from then on: the clock must pass the idle time once more for it.
    clock.advance(31 * SECOND);
    for (int i = 0; i < 3 && running.thread.isAlive(); i++) {
      running.thread.join(5_000);
      if (running.thread.isAlive()) {
        clock.advance(31 * SECOND);
      }
    }
    assertEquals(0, running.join(Duration.ofSeconds(20)));
    ReferenceCounts reference = new ReferenceCounts(ZoneId.of("UTC")).addLines(data);
    Map<String, String> latest = uniqcount.cli.Cli.lastValuesPerWindow(io.out());
    assertEquals(reference.windows.size(), latest.size());
    assertTrue(uniqcount.cli.Cli.parse(io.out()).stream().filter(r -> r.get("status").asText().equals("final")).count()
        >= reference.windows.size(), "every window final at the idle exit");
    assertNoJobThreadsLeft();
  }

  /** Frames {@code uid u<ts>-<partition>} at every {@code step} seconds of [from, to), to one partition. */
  private static void produceTo(String topic, int partition, long from, long to, long step) throws Exception {
    try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> p = new org.apache.kafka.clients.producer.KafkaProducer<>(
        Map.of("bootstrap.servers", SharedBroker.bootstrapServers(),
            "key.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class.getName(),
            "value.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class.getName()))) {
      for (long ts = from; ts < to; ts += step) {
        byte[] v = ("{\"uid\":\"u" + ts + "-" + partition + "\",\"ts\":" + ts + "}").getBytes(StandardCharsets.UTF_8);
        p.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, partition, null, v)).get();
      }
    }
  }

  /**
   * A partition idle past the idle timeout (so the group's watermark went on without it) comes
   * back with a frame for a minute past that watermark's minute horizon: its owner refuses it
   * (late-dropped), also when --rolling keeps that minute held — the owner seals what the merge
   * record says is past the horizon. The job's clock is the test's: no step depends on how fast
   * this machine is (an earlier version with a real idle exit sometimes ended before the late frame).
   */
  @Test
  void aLaggingPartitionCannotAddToAMinuteHeldForRollingWindows() throws Exception {
    String topic = "job-seal";
    long t = java.time.Instant.parse("2022-02-01T10:00:00Z").getEpochSecond();
    try (KafkaAdmin admin = new KafkaAdmin(KafkaSettings.of(SharedBroker.bootstrapServers(), null, List.of()),
        Duration.ofSeconds(15))) {
      admin.createIfMissing(topic, 2, Map.of());
    }
    produceTo(topic, 0, t, t + 7_200, 30); // two hours
    produceTo(topic, 1, t, t + 3_000, 30); // 50 minutes, then nothing
    EngineHarness.ManualClock clock = new EngineHarness.ManualClock();
    Captured io = new Captured();
    java.util.EnumSet<uniqcount.window.Granularity> windows =
        java.util.EnumSet.of(uniqcount.window.Granularity.MINUTE, uniqcount.window.Granularity.HOUR);
    uniqcount.window.EventTimePolicy policy = new uniqcount.window.EventTimePolicy(5,
        Map.of(uniqcount.window.Granularity.MINUTE, 600L, uniqcount.window.Granularity.HOUR, 2 * 86_400L), 3_600, 16,
        2 * SECOND, windows);
    Job job = new Job(exact().windows(windows).policy(policy).rolling(uniqcount.window.Rolling.of(List.of(Duration.ofHours(1))))
        .kafka(KafkaSettings.of(SharedBroker.bootstrapServers(), null, List.of()), Duration.ofSeconds(15))
        .topic(topic, "job-seal-group", JobConfig.StartPosition.EARLIEST, Duration.ofMinutes(10)).build(),
        io.streams(InputStream.nullInputStream()), clock);
    Running running = new Running(job);
    running.err = io::err;
    await("every record read", () -> job.statsLine().contains("frames=340 "));
    // partition 1 goes idle (2 s on the job's clock): the watermark follows partition 0 to the two hours,
    // and the merge record that says so reaches both members at their commits (each second of the job's clock)
    // (a member that got its partition late, after a rebalance on a loaded machine, counts its idle
    // time from then on: the clock goes on in steps of a commit interval until the final is out)
    String lastMinute = "\"window\":\"minute\",\"start\":\"" + java.time.Instant.ofEpochSecond(t + 7_080) + "\"";
    long realDeadline = System.nanoTime() + 90 * SECOND;
    while (!io.out().lines().anyMatch(l -> l.contains(lastMinute) && l.contains("\"status\":\"final\""))) {
      assertTrue(System.nanoTime() < realDeadline, "the last minute never became final:\n" + io.err() + "\n" + job.statsLine()
          + "\n" + io.out().lines().filter(l -> l.contains("final")).reduce((a, b) -> b).orElse("no final") + "\n"
          + io.out().lines().reduce((a, b) -> b).orElse("no output"));
      clock.advance(SECOND + SECOND / 10);
      Thread.sleep(300);
    }
    // the merge record that carries this watermark reaches every owner at its commits: on until
    // each has sealed its windows at it (minute t+4980 ends t+5040: sealed once the watermark is at
    // least t+5040 + 5 s lateness + 600 s horizon)
    while (((KafkaIngest) job.ingest()).lowestCutWatermark() < t + 5_645) {
      assertTrue(System.nanoTime() < realDeadline, "the owners never sealed at the group's watermark:\n" + io.err());
      clock.advance(SECOND + SECOND / 10);
      Thread.sleep(300);
    }
    // 33 minutes ahead of its own watermark (plausible), 37 minutes behind the group's (minute
    // horizon 10 minutes), for a minute that the rolling window keeps held
    produceTo(topic, 1, t + 4_980, t + 4_981, 1);
    await("the late frame read", () -> job.statsLine().contains("frames=341 "));
    clock.advance(601 * SECOND); // the idle exit (10 minutes without records on the job's clock)
    for (int i = 0; i < 3 && running.thread.isAlive(); i++) {
      running.thread.join(5_000);
      if (running.thread.isAlive()) {
        clock.advance(601 * SECOND);
      }
    }
    assertEquals(0, running.join(Duration.ofSeconds(30)));
    assertTrue(io.err().contains(" late_dropped=1 "), io.err());
    Map<String, com.fasterxml.jackson.databind.JsonNode> latest = uniqcount.cli.Cli.lastPerWindow(io.out());
    com.fasterxml.jackson.databind.JsonNode minute = latest.get("minute/" + java.time.Instant.ofEpochSecond(t + 4_980));
    org.junit.jupiter.api.Assertions.assertNotNull(minute, latest.keySet().toString());
    assertEquals(2, minute.get("frames").asLong(), "partition 0's two frames only: " + minute);
    assertEquals("final", minute.get("status").asText(), "no update after the late frame: " + minute);
    assertNoJobThreadsLeft();
  }

  @Test
  void aFailingWorkerIsReportedAsItselfNotAsTheInputItInterrupted() throws Exception {
    Path file = dir.resolve("big.jsonl");
    byte[] data = frames(20_000, 4);
    try (var out = Files.newOutputStream(file)) {
      for (int i = 0; i < 10; i++) {
        out.write(data); // ~60 MB: the reader is still reading when the worker fails
      }
    }
    EngineHarness.ManualClock clock = EngineHarness.ManualClock.failingInWorkersAfter(3);
    CloseRecorder sink = new CloseRecorder(false);
    Captured io = new Captured();
    Job job = new Job(exact().files(List.of(file.toString())).build(), io.streams(InputStream.nullInputStream()), clock)
        .withSink(sink);
    Throwable e = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThrows(Throwable.class, job::run));
    assertEquals("worker broke", e.getMessage(), "the worker's own error, not a read error it caused: " + e);
    assertTrue(sink.closed.get(), "every sink closed");
    assertNoJobThreadsLeft();
  }

  @Test
  void aFailingSinkEndsTheJobWithItsErrorAndClosesTheOthers() throws Exception {
    PipedOutputStream feed = new PipedOutputStream();
    PipedInputStream in = new PipedInputStream(feed, 1 << 20);
    CloseRecorder failing = new CloseRecorder(true);
    Captured io = new Captured();
    Job job = new Job(exact().emit(JobConfig.Emit.EARLY, Duration.ofMillis(10)).build(), io.streams(in),
        new EngineHarness.ManualClock()).withSink(failing);
    Running running = new Running(job);
    feed.write(frames(500, 5)); // an early record is due at the emitter's first round: the write fails
    feed.flush();
    Object outcome = running.join(Duration.ofSeconds(30)); // the input stays open: the failure must end the job
    assertTrue(outcome instanceof UserException, String.valueOf(outcome));
    assertEquals("cannot write to the test sink: disk full", ((UserException) outcome).getMessage());
    assertEquals(UserException.Kind.FAILURE, ((UserException) outcome).kind());
    assertTrue(failing.closed.get());
    assertNoJobThreadsLeft();
    feed.close();
  }

  @Test
  void aFailingSourceEndsTheJobWithOneClearError() throws Exception {
    byte[] data = frames(1_000, 6);
    InputStream broken = new InputStream() {
      private final InputStream first = new ByteArrayInputStream(data);

      @Override
      public int read() throws IOException {
        throw new IOException("connection reset");
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = first.read(b, off, Math.min(len, 4096));
        if (n < 0) {
          throw new IOException("connection reset");
        }
        return n;
      }
    };
    CloseRecorder sink = new CloseRecorder(false);
    Captured io = new Captured();
    Job job = new Job(exact().build(), io.streams(broken), new EngineHarness.ManualClock()).withSink(sink);
    UserException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(UserException.class, job::run));
    assertEquals("stdin: cannot read (connection reset)", e.getMessage());
    assertTrue(sink.closed.get());
    assertNoJobThreadsLeft();
  }

  @Test
  void aStopRequestCountsWhatWasReadAndFlushesNothing() throws Exception {
    PipedOutputStream feed = new PipedOutputStream();
    PipedInputStream in = new PipedInputStream(feed, 1 << 20);
    Captured io = new Captured();
    Job job = new Job(exact().emit(JobConfig.Emit.FINAL, Duration.ofSeconds(1)).build(), io.streams(in),
        new EngineHarness.ManualClock());
    Running running = new Running(job);
    byte[] data = frames(1_000, 7);
    feed.write(data);
    feed.flush();
    await("the frames counted", () -> job.statsLine().contains("frames=1000 "));
    job.requestStop();
    feed.write(data, 0, indexAfterLine(data, 2)); // the reader looks at the request when it hands out its next chunk
    feed.flush();
    assertEquals(0, running.join(Duration.ofSeconds(30)));
    assertTrue(uniqcount.cli.Cli.parse(io.out()).stream().noneMatch(r -> r.get("window").asText().equals("year")),
        "the open year is not flushed as final: " + io.out());
    feed.close();
  }

  /** A sink that records what it got and whether it was closed; {@code failing}: every write fails. */
  private static final class CloseRecorder implements ResultSink {
    final AtomicBoolean closed = new AtomicBoolean();
    final List<ResultRecord> records = new ArrayList<>();
    private final boolean failing;

    CloseRecorder(boolean failing) {
      this.failing = failing;
    }

    @Override
    public synchronized void write(ResultRecord record) throws IOException {
      if (failing) {
        throw new IOException("cannot write to the test sink: disk full");
      }
      records.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      closed.set(true);
    }
  }

  /** Frames of {@code count} at 50/s from {@code startSec}, with some bit flips and broken frames. */
  private static byte[] block(long startSec, int count, long seed) throws IOException {
    return generate(startSec, count, seed, true);
  }

  /** The latest value of every window and the stats that say what was dropped, of one run. */
  private static String outcome(Captured io) {
    String stats = io.err().replaceAll("(?s).*(frames=\\d+ accepted=\\d+ rejected=\\d+ implausible_ts=\\d+ late_dropped=\\d+).*", "$1");
    return stats + " " + uniqcount.cli.Cli.lastValuesPerWindow(io.out());
  }

  @Test
  void aReplayCountsTheSameAtFullSpeedPacedAndOnAnyNumberOfThreads() throws Exception {
    // a day, the next day, then the first day again (a day late) in one file; and the same as
    // two files, the second older than the first: one history, read in order
    byte[] day1 = block(START, 6_000, 21);
    byte[] day2 = block(START + 86_400, 6_000, 22);
    byte[] late = block(START + 300, 6_000, 23);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    all.writeBytes(day1);
    all.writeBytes(day2);
    all.writeBytes(late);
    Path one = Files.write(dir.resolve("one.jsonl"), all.toByteArray());
    Path first = Files.write(dir.resolve("first.jsonl"), java.util.Arrays.copyOf(all.toByteArray(), day1.length + day2.length));
    Path second = Files.write(dir.resolve("second.jsonl"), late);
    JobConfig.Builder base = exact().emit(JobConfig.Emit.EARLY, Duration.ofMillis(20));

    List<String> outcomes = new ArrayList<>();
    for (int threads : new int[] {1, 3}) {
      for (List<String> files : List.of(List.of(one.toString()), List.of(first.toString(), second.toString()))) {
        Captured io = new Captured();
        assertEquals(0, new Job(base.files(files).threads(threads).build(), io.streams(InputStream.nullInputStream()),
            uniqcount.window.Clock.SYSTEM).run());
        outcomes.add(outcome(io));
      }
    }
    // paced: the emitter runs many rounds while the input trickles in
    PipedOutputStream feed = new PipedOutputStream();
    PipedInputStream in = new PipedInputStream(feed, 1 << 16);
    Captured paced = new Captured();
    Running running = new Running(new Job(base.files(List.of("-")).threads(2).build(), paced.streams(in),
        uniqcount.window.Clock.SYSTEM));
    byte[] bytes = all.toByteArray();
    for (int at = 0; at < bytes.length; at += 32 << 10) {
      feed.write(bytes, at, Math.min(32 << 10, bytes.length - at));
      feed.flush();
      Thread.sleep(5);
    }
    feed.close();
    assertEquals(0, running.join(Duration.ofSeconds(60)));
    outcomes.add(outcome(paced));

    for (String o : outcomes) {
      assertEquals(outcomes.get(0), o);
    }
    assertTrue(outcomes.get(0).contains(" late_dropped=" + lateFramesAccepted(late) + " "), outcomes.get(0));
  }

  /** The valid frames of a block (each is a day behind the watermark: beyond its minute's horizon). */
  private static long lateFramesAccepted(byte[] block) {
    long n = 0;
    int start = 0;
    for (int i = 0; i < block.length; i++) {
      if (block[i] == '\n') {
        uniqcount.reference.JacksonReference.Fields f = uniqcount.reference.JacksonReference.parse(block, start, i - start);
        if (f != null && Math.abs(f.ts - START) < 86_400) {
          n++;
        }
        start = i + 1;
      }
    }
    return n;
  }

  @Test
  void anInputTopicDeletedWhileBeingReadEndsTheRun() throws Exception {
    String topic = "job-deleted";
    KafkaSettings settings = topicWith(topic, frames(500, 8));
    String bootstrap = settings.bootstrapServers();
    EngineHarness.ManualClock clock = new EngineHarness.ManualClock();
    Captured io = new Captured();
    Job job = new Job(exact().kafka(settings, Duration.ofSeconds(15))
        .topic(topic, "job-deleted-test", JobConfig.StartPosition.EARLIEST, null).build(),
        io.streams(InputStream.nullInputStream()), clock);
    Running running = new Running(job);
    await("every record counted", () -> job.statsLine().contains("frames=500 "));
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
        Map.of("bootstrap.servers", bootstrap))) {
      admin.deleteTopics(List.of(topic)).all().get();
    }
    clock.advance(31 * SECOND); // the topic is looked at every 30 s of the job's clock
    Object outcome = running.join(Duration.ofSeconds(30));
    assertTrue(outcome instanceof UserException, String.valueOf(outcome));
    assertEquals("topic 'job-deleted' was deleted while it was being read", ((UserException) outcome).getMessage());
    assertNoJobThreadsLeft();
  }
}
