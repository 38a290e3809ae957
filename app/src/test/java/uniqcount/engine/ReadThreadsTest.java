package uniqcount.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uniqcount.cli.Cli;
import uniqcount.count.CounterSpec;
import uniqcount.engine.EngineHarness.Captured;
import uniqcount.gen.GeneratorOptions;
import uniqcount.reference.GeneratedFrames;
import uniqcount.reference.ReferenceCounts;
import uniqcount.source.Inputs;
import uniqcount.source.LineChunker;
import uniqcount.source.MemberGzipOutputStream;
import uniqcount.window.EventTimePolicy;
import uniqcount.window.Granularity;

/**
 * {@code --read-threads}: several inputs read and decompressed side by side count exactly what one
 * reader counts, in the order given, whatever the number of readers and however far ahead they may
 * read; a damaged input is reported as one reader would report it.
 */
class ReadThreadsTest {
  @TempDir
  Path dir;

  @AfterEach
  void resetHeldLimit() {
    FileIngest.heldLimitOverride = 0;
    Inputs.parallelGzipSegmentBytes = 0;
  }

  /** Writes {@code lines} as one gzip file of many members, as {@code generate -o x.gz} does with larger ones. */
  private Path members(List<byte[]> lines, int memberBytes) throws IOException {
    Path file = dir.resolve("members.jsonl.gz");
    try (OutputStream out = new java.io.BufferedOutputStream(new MemberGzipOutputStream(Files.newOutputStream(file), memberBytes))) {
      for (byte[] line : lines) {
        out.write(line);
        out.write('\n');
      }
    }
    return file;
  }

  @Test
  void aGzipOfManyMembersInflatedSideBySideCountsWhatOneThreadCounts() throws Exception {
    GeneratorOptions o = GeneratedFrames.withFaults(1_700_000_000L, 40_000, 100, 2_000, 65, 1024, 600);
    List<byte[]> lines = GeneratedFrames.lines(o);
    ReferenceCounts reference = GeneratedFrames.reference(o, lines);
    List<String> input = List.of(members(lines, 64 << 10).toString());
    Inputs.parallelGzipSegmentBytes = 16 << 10; // a few members a segment, hundreds of segments
    long before = Inputs.parallelGzipSegments();
    Captured one = run(input, 1, EventTimePolicy.defaults());
    assertEquals(before, Inputs.parallelGzipSegments(), "one thread: no segments");
    Map<String, String> expected = Cli.lastValuesPerWindow(one.out());
    assertEquals(reference.windows.keySet(), expected.keySet());
    reference.windows.forEach((k, w) -> assertEquals(w.uids.size() + "/" + w.frames, expected.get(k), k));
    for (int threads : new int[] {2, 5}) {
      long segments = Inputs.parallelGzipSegments();
      Captured many = run(input, threads, EventTimePolicy.defaults());
      assertTrue(Inputs.parallelGzipSegments() - segments > 50, "inflated in segments side by side");
      assertEquals(expected, Cli.lastValuesPerWindow(many.out()), threads + " inflating threads");
      assertEquals(counters(one.err()), counters(many.err()), threads + " inflating threads");
    }
  }

  @Test
  void aDamagedMemberIsReportedAsOneThreadReportsIt() throws Exception {
    GeneratorOptions o = GeneratedFrames.withFaults(1_700_000_000L, 20_000, 100, 1_000, 66, 1024, 30);
    byte[] whole = Files.readAllBytes(members(GeneratedFrames.lines(o), 32 << 10));
    whole[whole.length * 2 / 3] ^= 0x10; // inside a member two thirds of the way in
    Path damaged = dir.resolve("damaged-members.jsonl.gz");
    Files.write(damaged, whole);
    Inputs.parallelGzipSegmentBytes = 8 << 10;
    List<String> messages = new ArrayList<>();
    for (int threads : new int[] {1, 4}) {
      Job job = new Job(JobConfig.builder().counter(CounterSpec.exact()).threads(2).statsInterval(Duration.ZERO)
          .files(List.of(damaged.toString()), threads).build(), new Captured().streams(), new EngineHarness.ManualClock());
      Throwable e = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThrows(Throwable.class, job::run));
      messages.add(e.getMessage());
      assertNoReaderOrWorkerLeft();
    }
    assertTrue(messages.get(0).startsWith(damaged + ": damaged gzip member "), messages.get(0));
    assertEquals(messages.get(0), messages.get(1));
  }

  /** Writes {@code lines} split into {@code parts} files, gzip, zstd and plain in turn; returns their paths. */
  private List<String> split(List<byte[]> lines, int parts) throws IOException {
    List<String> files = new ArrayList<>();
    int per = (lines.size() + parts - 1) / parts;
    for (int p = 0; p < parts; p++) {
      String suffix = p % 3 == 0 ? ".jsonl.gz" : p % 3 == 1 ? ".jsonl.zst" : ".jsonl";
      Path file = dir.resolve("part-" + p + suffix);
      try (OutputStream raw = Files.newOutputStream(file);
          OutputStream out = p % 3 == 0 ? new GZIPOutputStream(raw, 1 << 16)
              : p % 3 == 1 ? new com.github.luben.zstd.ZstdOutputStream(raw) : raw) {
        for (byte[] line : lines.subList(p * per, Math.min(lines.size(), (p + 1) * per))) {
          out.write(line);
          out.write('\n');
        }
      }
      files.add(file.toString());
    }
    return files;
  }

  private static Captured run(List<String> files, int readThreads, EventTimePolicy policy) throws Exception {
    Captured io = new Captured();
    JobConfig config = JobConfig.builder().counter(CounterSpec.exact()).threads(2).statsInterval(Duration.ZERO)
        .policy(policy).files(files, readThreads).build();
    int exit = assertTimeoutPreemptively(Duration.ofSeconds(120),
        () -> new Job(config, io.streams(), new EngineHarness.ManualClock()).run());
    assertEquals(0, exit, io.err());
    return io;
  }

  /** The final line's counters: frames, accepted, rejected, implausible_ts, late_dropped. */
  private static String counters(String err) {
    String done = err.lines().filter(l -> l.startsWith("uniqcount: done ")).findFirst().orElseThrow(() -> new AssertionError(err));
    return done.replaceAll(" elapsed_s=.*", "").replace("uniqcount: done ", "");
  }

  @Test
  void inputsReadSideBySideCountWhatOneReaderCounts() throws Exception {
    // every fault, frames up to 10 minutes late: lateness is judged across the files' boundaries
    GeneratorOptions o = GeneratedFrames.withFaults(1_700_000_000L, 60_000, 100, 3_000, 61, 1024, 600);
    List<byte[]> lines = GeneratedFrames.lines(o);
    List<String> files = split(lines, 7);
    ReferenceCounts reference = GeneratedFrames.reference(o, lines);
    // the defaults, and horizons of 2 minutes, under which the order of the frames decides which are dropped
    EventTimePolicy strict = new EventTimePolicy(5, Map.of(Granularity.MINUTE, 120L, Granularity.HOUR, 120L,
        Granularity.DAY, 120L, Granularity.WEEK, 120L, Granularity.MONTH, 120L, Granularity.YEAR, 120L), 3600, 16,
        30_000_000_000L, EnumSet.allOf(Granularity.class));
    for (EventTimePolicy policy : List.of(EventTimePolicy.defaults(), strict)) {
      Captured one = run(files, 1, policy);
      Map<String, String> expected = Cli.lastValuesPerWindow(one.out());
      if (policy != strict) {
        assertEquals(reference.windows.keySet(), expected.keySet());
        reference.windows.forEach((k, w) -> assertEquals(w.uids.size() + "/" + w.frames, expected.get(k), k));
      } else {
        // frames further back than a horizon are refused (implausible_ts or late_dropped), as judged by the clock so far
        String c = counters(one.err());
        assertTrue(Long.parseLong(c.replaceAll(".*implausible_ts=(\\d+).*", "$1")) > 1000, c);
      }
      for (int readers : new int[] {2, 7}) {
        for (int held : new int[] {1, 0}) { // 1: every reader ahead is held after one chunk
          FileIngest.heldLimitOverride = held;
          Captured many = run(files, readers, policy);
          String what = readers + " readers, held limit " + (held == 0 ? "computed" : held);
          assertEquals(expected, Cli.lastValuesPerWindow(many.out()), what);
          assertEquals(counters(one.err()), counters(many.err()), what);
        }
      }
    }
  }

  @Test
  void aDamagedInputIsReportedAfterTheInputsBeforeItAreCounted() throws Exception {
    GeneratorOptions o = GeneratedFrames.withFaults(1_700_000_000L, 30_000, 100, 1_000, 62, 1024, 30);
    List<byte[]> lines = GeneratedFrames.lines(o);
    List<String> files = split(lines, 3);
    // the second input is a gzip that lost its last 100 bytes (a truncated member, never a silent end)
    Path damaged = dir.resolve("damaged.jsonl.gz");
    byte[] whole = Files.readAllBytes(Path.of(files.get(0)));
    Files.write(damaged, Arrays.copyOf(whole, whole.length - 100));
    List<String> inputs = List.of(files.get(1), damaged.toString(), files.get(2));
    for (int readers : new int[] {1, 3}) {
      Captured io = new Captured();
      Job job = new Job(JobConfig.builder().counter(CounterSpec.exact()).threads(2).statsInterval(Duration.ZERO)
          .files(inputs, readers).build(), io.streams(), new EngineHarness.ManualClock());
      Throwable e = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThrows(Throwable.class, job::run));
      assertTrue(e.getMessage().startsWith(damaged + ": "), readers + " readers: " + e.getMessage());
      if (readers > 1) {
        assertTrue(job.partitions().get(0).finished(), readers + " readers: the first input counted before the error");
      }
      assertNoReaderOrWorkerLeft();
    }
  }

  @Test
  void framesReadAheadAndNeverCountedAreShownAsWaitingNotAccepted() throws Exception {
    // a long first input; two short ones, read ahead at once and held until it ends, which it never does: stopped
    byte[] first = GeneratedFrames.bytes(GeneratedFrames.withFaults(1_700_000_000L, 200_000, 1_000, 1_000, 67, 300, 5));
    Path big = dir.resolve("big.jsonl");
    Files.write(big, first);
    List<String> small = split(GeneratedFrames.lines(GeneratedFrames.withFaults(1_700_000_200L, 3_000, 100, 100, 68, 300, 5)), 2);
    List<String> inputs = List.of(big.toString(), small.get(0), small.get(1));
    FileIngest.heldLimitOverride = Integer.MAX_VALUE;
    Captured io = new Captured();
    Job job = new Job(JobConfig.builder().counter(CounterSpec.exact()).threads(2).statsInterval(Duration.ZERO)
        .files(inputs, 3).build(), io.streams(), new EngineHarness.ManualClock());
    java.util.concurrent.FutureTask<Integer> run = new java.util.concurrent.FutureTask<>(job::run);
    new Thread(run, "test-job").start();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (job.partitions() == null || job.partitions().size() < 3
        || job.partitions().get(1).pendingFrames() + job.partitions().get(2).pendingFrames() == 0) {
      assertTrue(System.nanoTime() < deadline, "the short inputs were never held");
      Thread.sleep(1);
    }
    job.requestStop();
    assertEquals(0, run.get(60, java.util.concurrent.TimeUnit.SECONDS));
    assertTrue(!job.partitions().get(0).finished(), "stopped before the first input ended");
    long held = job.partitions().get(1).pendingFrames() + job.partitions().get(2).pendingFrames();
    String line = counters(io.err());
    long frames = Long.parseLong(line.replaceAll(".*frames=(\\d+) .*", "$1"));
    long accepted = Long.parseLong(line.replaceAll(".*accepted=(\\d+) .*", "$1"));
    long rejected = Long.parseLong(line.replaceAll(".*rejected=(\\d+) .*", "$1"));
    assertTrue(held > 0 && line.contains(" waiting=" + held), line + " (held " + held + ")");
    assertEquals(frames, accepted + rejected + held, line + ": every frame read is accepted, rejected or waiting");
    assertNoReaderOrWorkerLeft();
  }

  @Test
  void aFailingWorkerStopsEveryReader() throws Exception {
    GeneratorOptions o = GeneratedFrames.withFaults(1_700_000_000L, 60_000, 100, 1_000, 64, 1024, 30);
    List<String> files = split(GeneratedFrames.lines(o), 6);
    FileIngest.heldLimitOverride = 1; // readers ahead are waiting when the worker fails
    EngineHarness.ManualClock clock = EngineHarness.ManualClock.failingInWorkersAfter(20);
    Job job = new Job(JobConfig.builder().counter(CounterSpec.exact()).threads(2).statsInterval(Duration.ZERO)
        .files(files, 6).build(), new Captured().streams(), clock);
    Throwable e = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThrows(Throwable.class, job::run));
    assertEquals("worker broke", e.getMessage(), e.toString());
    assertNoReaderOrWorkerLeft();
  }

  private static void assertNoReaderOrWorkerLeft() throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.isAlive() && (t.getName().startsWith("uniqcount-reader") || t.getName().startsWith("uniqcount-worker")
            || t.getName().startsWith("uniqcount-inflate")))) {
      assertTrue(System.nanoTime() < deadline, "reader or worker threads left");
      Thread.sleep(20);
    }
  }

  @Test
  void readThreadsAreDecidedFromTheInputs() throws Exception {
    List<String> files = split(GeneratedFrames.lines(GeneratedFrames.withFaults(1_700_000_000L, 600, 10, 50, 63, 512, 5)), 3);
    List<String> twoCompressed = List.of(files.get(0), files.get(1));
    List<String> plain = List.of(files.get(2), files.get(2));
    assertEquals(2, FileIngest.readers(0, twoCompressed, false, 2), "two compressed inputs: at least two");
    assertEquals(2, FileIngest.readers(0, twoCompressed, false, 16), "no more than the inputs");
    assertEquals(3, FileIngest.readers(0, files, false, 8), "half of 8 cores, at most the inputs");
    assertEquals(1, FileIngest.readers(0, plain, false, 8), "plain inputs: one reader copies them as fast");
    assertEquals(2, FileIngest.readers(4, plain, false, 8), "as asked, at most one per input");
    assertEquals(1, FileIngest.readers(4, twoCompressed, true, 8), "a checkpoint records one reader's place");
    assertEquals(1, FileIngest.readers(4, List.of(files.get(0)), false, 8));
    assertEquals(1, FileIngest.readers(2, List.of("-", "-"), false, 8), "stdin twice: one reader");
    assertEquals(1, FileIngest.readers(2, List.of(files.get(0), "-"), false, 8), "stdin is one stream");
    assertEquals(4L << 20, FileIngest.heldLimit(512L << 20), "frames of 16 bytes in an eighth of the heap");
    assertEquals(2, FileIngest.inflaters(0, false, 2), "one gzip input: half the cores, at least two");
    assertEquals(4, FileIngest.inflaters(0, false, 8));
    assertEquals(3, FileIngest.inflaters(3, false, 8), "as asked");
    assertEquals(1, FileIngest.inflaters(0, true, 8), "one thread with a checkpoint");
    // workers: one fewer than the cores when one thread inflates all the history
    String gz = files.get(0);
    assertEquals(1, defaultWorkers(List.of(gz), 0, false, 2), "a gzip of one member: its inflater needs a core");
    assertEquals(7, defaultWorkers(List.of(gz), 0, false, 8));
    assertEquals(1, defaultWorkers(List.of(gz), 0, false, 1));
    assertEquals(2, defaultWorkers(List.of(files.get(1)), 0, false, 2), "zstd inflates fast");
    assertEquals(2, defaultWorkers(List.of(files.get(2)), 0, false, 2), "plain");
    assertEquals(2, defaultWorkers(List.of(gz, files.get(2)), 0, false, 2), "not all of it gzip");
    assertEquals(2, defaultWorkers(List.of(gz, gz), 0, false, 2), "two gzip inputs: two readers inflate");
    assertEquals(1, defaultWorkers(List.of(gz, gz), 0, true, 2), "... but one with a checkpoint");
    assertEquals(2, defaultWorkers(List.of("-"), 0, false, 2), "stdin: not known");
    assertEquals(2, defaultWorkers(List.of(dir.resolve("missing.gz").toString()), 0, false, 2), "the job reports it");
    Inputs.parallelGzipSegmentBytes = 1 << 10;
    String members = members(GeneratedFrames.lines(GeneratedFrames.withFaults(1_700_000_000L, 3_000, 10, 50, 63, 512, 5)), 4 << 10).toString();
    assertEquals(2, defaultWorkers(List.of(members), 0, false, 2), "many members: inflated side by side");
    assertEquals(1, defaultWorkers(List.of(members), 1, false, 2), "... unless --read-threads 1");
  }

  /** Workers by default for these inputs, with room in the heap for every reader. */
  private static int defaultWorkers(List<String> inputs, int readThreadsAsked, boolean checkpointing, int cores) {
    return FileIngest.plan(inputs, readThreadsAsked, 0, checkpointing, cores, 1 << 20, 512L << 20).workers();
  }

  @Test
  void readersTheHeapCannotHoldAreDroppedBeforeInflatersAndWorkersAreDecided() throws Exception {
    List<String> files = split(GeneratedFrames.lines(GeneratedFrames.withFaults(1_700_000_000L, 600, 10, 50, 67, 512, 5)), 3);
    List<String> twoGzip = List.of(files.get(0), files.get(0)); // gzip of one member each
    int frameLimit = 4 << 20;
    long chunk = LineChunker.chunkCapacity(frameLimit);
    // room for the workers' six chunks and a second reader's two
    FileIngest.Plan roomy = FileIngest.plan(twoGzip, 0, 0, false, 2, frameLimit, 8 * 8 * chunk);
    assertEquals(new FileIngest.Plan(2, 1, 2, 8), roomy);
    // room for the workers' chunks only: one reader, which then inflates a multi-member gzip on
    // two threads, and one thread inflates all of these, so it keeps a core: one worker
    FileIngest.Plan tight = FileIngest.plan(twoGzip, 0, 0, false, 2, frameLimit, 8 * 6 * chunk);
    assertEquals(new FileIngest.Plan(1, 2, 1, 4), tight);
    assertEquals(new FileIngest.Plan(1, 2, 2, 6), FileIngest.plan(twoGzip, 0, 2, false, 2, frameLimit, 8 * 6 * chunk),
        "workers as asked");
  }

  @Test
  void aJobAskedForNoThreadCountBuildsTheWorkersItsInputDecides() throws Exception {
    List<String> files = split(GeneratedFrames.lines(GeneratedFrames.withFaults(1_700_000_000L, 600, 10, 50, 69, 512, 5)), 3);
    int cores = Runtime.getRuntime().availableProcessors();
    for (String input : List.of(files.get(0), files.get(2))) { // a gzip of one member; plain
      Job job = new Job(JobConfig.builder().counter(CounterSpec.exact()).statsInterval(Duration.ZERO)
          .files(List.of(input), 0).build(), new Captured().streams(), new EngineHarness.ManualClock());
      assertEquals(0, assertTimeoutPreemptively(Duration.ofSeconds(60), job::run));
      assertEquals(defaultWorkers(List.of(input), 0, false, cores), job.workers().size(), input);
    }
  }

  @Test
  void badReadThreadOptionsAreOneLine() {
    Cli.Run zero = Cli.run("count", "--read-threads", "0");
    assertEquals(2, zero.exit);
    assertTrue(zero.err.strip().startsWith("uniqcount count: --read-threads must be 1..64, got 0"), zero.err);
    Cli.Run checkpoint = Cli.run("count", "--read-threads", "2", "--checkpoint", dir.resolve("c").toString(), "-i", "x");
    assertEquals(2, checkpoint.exit);
    assertTrue(checkpoint.err.contains("--read-threads 2 cannot be used with --checkpoint"), checkpoint.err);
    Cli.Run topic = Cli.run("count", "--read-threads", "2", "--topic", "t", "--bootstrap-servers", "127.0.0.1:1");
    assertEquals(2, topic.exit);
    assertTrue(topic.err.contains("--read-threads is for file input"), topic.err);
  }
}
