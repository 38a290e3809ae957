package uniqcount.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uniqcount.gen.FrameGenerator;
import uniqcount.gen.GeneratorOptions;
import uniqcount.reference.ReferenceCounts;

/** Checkpoints: a real child process killed with SIGKILL at random points, damaged snapshots, option changes. */
class CrashRecoveryTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static GeneratorOptions options() {
    GeneratorOptions o = new GeneratorOptions();
    o.count = 800_000;
    o.ratePerSec = 200;
    o.users = 30_000;
    o.seed = 11;
    o.sizeBytes = 300;
    o.delaySec = 20;
    o.delayPercent = 10;
    o.bitflipProb = 0.001;
    o.stringTsProb = 0.05;
    o.badProb = 0.01;
    o.dupProb = 0.01;
    o.dialectProb = 0.02;
    return o;
  }

  private Path input() throws IOException {
    Path in = dir.resolve("frames.jsonl");
    if (!Files.exists(in)) {
      try (var out = Files.newOutputStream(in)) {
        new FrameGenerator(options()).writeAll(out);
      }
    }
    return in;
  }

  /** A child JVM running uniqcount count. */
  private Process start(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("uniqcount.cli.Main");
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
  }

  private String[] countArgs(Path in, Path out, Path checkpoint) {
    return new String[] {"count", "--input", in.toString(), "--counter", "exact", "--output", out.toString(),
        "--checkpoint", checkpoint.toString(), "--checkpoint-interval", "150ms", "--threads", "1", "--stats-interval", "0"};
  }

  static Map<String, String> latest(Path out) throws IOException {
    return Cli.lastValuesPerWindow(Files.readString(out));
  }

  private Map<String, String> uninterrupted(Path in) throws IOException {
    Path ref = dir.resolve("uninterrupted.jsonl");
    Cli.Run r = Cli.run("count", "--input", in.toString(), "--counter", "exact",
        "--output", ref.toString(), "--stats-interval", "0");
    assertEquals(0, r.exit, r.err);
    return latest(ref);
  }

  @Test
  void killedAtRandomPointsAFileRunEndsExactlyLikeAnUninterruptedOne() throws Exception {
    Path in = input();
    Path out = dir.resolve("out.jsonl");
    Path checkpoint = dir.resolve("ck");
    Random random = new Random(3);
    int killedMidRun = 0;
    StringBuilder ended = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      List<Path> before = Files.exists(checkpoint) ? snapshots(checkpoint) : List.of();
      Process p = start(countArgs(in, out, checkpoint));
      // kill at a random point after this run has written a snapshot of its own, mid-run
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (p.isAlive() && System.nanoTime() < deadline
          && (!Files.exists(checkpoint) || before.containsAll(snapshots(checkpoint)))) {
        Thread.sleep(10);
      }
      Thread.sleep(random.nextInt(250));
      if (p.isAlive()) {
        killedMidRun++;
      } else {
        ended.append("run ").append(i).append(" ended by itself (exit ").append(p.exitValue()).append("): ")
            .append(Files.readString(dir.resolve("child.log"))).append('\n');
      }
      p.destroyForcibly(); // SIGKILL
      p.waitFor(30, TimeUnit.SECONDS);
    }
    assertTrue(killedMidRun >= 5, "runs killed while working: " + killedMidRun + "\n" + ended);
    Process last = start(countArgs(in, out, checkpoint));
    assertTrue(last.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, last.exitValue(), Files.readString(dir.resolve("child.log")));
    assertTrue(Files.readString(dir.resolve("child.log")).contains("resuming from the checkpoint"));

    Map<String, String> expected = uninterrupted(in);
    assertEquals(expected, latest(out));
    GeneratorOptions o = options();
    ReferenceCounts reference = new ReferenceCounts(ZoneId.of("UTC"))
        .range(o.startSec - o.delaySec, o.startSec + o.count / o.ratePerSec + 1).addLines(Files.readAllBytes(in));
    Map<String, String> truth = new TreeMap<>();
    reference.windows.forEach((k, w) -> truth.put(k, w.uids.size() + "/" + w.frames));
    assertEquals(truth, latest(out));
  }

  private Path completedRun(Path in, Path out, Path checkpoint) throws Exception {
    Process p = start(countArgs(in, out, checkpoint));
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), Files.readString(dir.resolve("child.log")));
    return checkpoint;
  }

  private static List<Path> snapshots(Path checkpoint) throws IOException {
    try (Stream<Path> s = Files.list(checkpoint)) {
      return s.filter(f -> f.toString().endsWith(".ucp")).sorted().collect(java.util.stream.Collectors.toList());
    }
  }

  @Test
  void aCorruptOrTruncatedNewestSnapshotFallsBackToThePreviousOne() throws Exception {
    Path in = input();
    Path out = dir.resolve("out.jsonl");
    Path checkpoint = completedRun(in, out, dir.resolve("ck"));
    Map<String, String> expected = latest(out);
    List<Path> snaps = snapshots(checkpoint);
    assertEquals(2, snaps.size(), "the newest and the previous good one are kept: " + snaps);
    Path newest = snaps.get(1);
    byte[] bytes = Files.readAllBytes(newest);
    bytes[bytes.length / 2] ^= 0x40;
    Files.write(newest, bytes);

    Cli.Run r = Cli.run(countArgs(in, out, checkpoint));
    assertEquals(0, r.exit, r.err);
    assertTrue(r.err.contains("corrupt (checksum mismatch)"), r.err);
    assertTrue(r.err.contains("resuming from " + snaps.get(0).getFileName()), r.err);
    assertEquals(expected, latest(out));

    List<Path> now = snapshots(checkpoint);
    Path last = now.get(now.size() - 1);
    byte[] whole = Files.readAllBytes(last);
    Files.write(last, java.util.Arrays.copyOf(whole, whole.length - 100));
    Cli.Run t = Cli.run(countArgs(in, out, checkpoint));
    assertEquals(0, t.exit, t.err);
    assertTrue(t.err.contains("is truncated"), t.err);
    assertEquals(expected, latest(out));
  }

  @Test
  void noUsableSnapshotIsAnErrorNeverASilentStartFromZero() throws Exception {
    Path in = input();
    Path checkpoint = Files.createDirectories(dir.resolve("ck"));
    Files.write(checkpoint.resolve("snapshot-000000000007.ucp"), "PK\u0003\u0004 this is a zip, not a snapshot".getBytes());
    Cli.Run r = Cli.run(countArgs(in, dir.resolve("out.jsonl"), checkpoint));
    assertEquals(1, r.exit, r.err);
    assertTrue(r.err.contains("no usable snapshot"), r.err);
    assertTrue(r.err.contains("not a uniqcount snapshot") || r.err.contains("truncated"), r.err);
    assertFalse(r.err.contains("\tat "), r.err);
  }

  @Test
  void optionsThatChangeTheStateAreCheckedAgainstTheSnapshot() throws Exception {
    Path in = input();
    Path out = dir.resolve("out.jsonl");
    Path checkpoint = completedRun(in, out, dir.resolve("ck"));
    for (String[] change : new String[][] {{"--windows", "minute,hour"}, {"--zone", "Europe/Zurich"},
        {"--counter", "hll"}, {"--lateness", "10s"}, {"--late-horizon", "1d"}, {"--max-future", "2h"},
        {"--jump-frames", "8"}, {"--max-frame-bytes", "5000"}, {"--trust-input", null},
        {"--rolling", "1h"}, {"--output", dir.resolve("other.jsonl").toString()}}) {
      List<String> args = new ArrayList<>(List.of(countArgs(in, out, checkpoint)));
      int i = args.indexOf(change[0]);
      if (i >= 0) {
        args.set(i + 1, change[1]);
      } else {
        args.add(change[0]);
        if (change[1] != null) {
          args.add(change[1]);
        }
      }
      Cli.Run r = Cli.run(args.toArray(new String[0]));
      assertEquals(1, r.exit, r.err);
      assertTrue(r.err.contains("made with other options or input: " + change[0]
          + (change[0].equals("--rolling") ? " is new (1h)" : " was ")), r.err);
      assertEquals(1, r.err.strip().split("\n").length, r.err);
    }
    // the same input file name with other contents (here: a line more) is not resumed
    Files.writeString(in, "{\"uid\":\"x\",\"ts\":1468244384}\n", java.nio.file.StandardOpenOption.APPEND);
    Cli.Run replaced = Cli.run(countArgs(in, out, checkpoint));
    assertEquals(1, replaced.exit, replaced.err);
    assertTrue(replaced.err.contains("input file " + in + " was "), replaced.err);
    Cli.Run stdin = Cli.run("count", "--checkpoint", checkpoint.toString());
    assertEquals(2, stdin.exit);
    assertTrue(stdin.err.contains("stdin cannot be replayed"), stdin.err);
  }

  @Test
  void aResumedRunFirstRepublishesTheLatestRecordOfEveryWindowOnStdout() throws Exception {
    Path in = input();
    Path checkpoint = dir.resolve("ck");
    String[] args = {"count", "--input", in.toString(), "--counter", "exact", "--checkpoint", checkpoint.toString(),
        "--threads", "1", "--stats-interval", "0"};
    Cli.Run first = Cli.run(args);
    assertEquals(0, first.exit, first.err);
    Cli.Run again = Cli.run(args);
    assertEquals(0, again.exit, again.err);
    Map<String, String> firstLatest = new TreeMap<>();
    Map<String, String> againAll = new TreeMap<>();
    for (String line : first.out.split("\n")) {
      var r = JSON.readTree(line);
      firstLatest.put(r.get("window").asText() + "/" + r.get("start").asText(), line);
    }
    for (String line : again.out.split("\n")) {
      var r = JSON.readTree(line);
      assertTrue(againAll.put(r.get("window").asText() + "/" + r.get("start").asText(), line) == null, "once: " + line);
    }
    assertEquals(firstLatest, againAll, "the same last record (window, revision, value) of every window");
  }

  @Test
  void aRunThatFinishedLeavesACheckpointThatChangesNothing() throws Exception {
    Path in = input();
    Path out = dir.resolve("out.jsonl");
    Path checkpoint = completedRun(in, out, dir.resolve("ck"));
    byte[] before = Files.readAllBytes(out);
    Cli.Run again = Cli.run(countArgs(in, out, checkpoint));
    assertEquals(0, again.exit, again.err);
    assertEquals(new String(before), new String(Files.readAllBytes(out)), "nothing new, nothing lost");
  }
}
