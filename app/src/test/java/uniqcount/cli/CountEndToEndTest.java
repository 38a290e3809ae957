package uniqcount.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uniqcount.gen.GeneratorOptions;
import uniqcount.reference.ReferenceCounts;
import uniqcount.reference.GeneratedFrames;

class CountEndToEndTest {

  @TempDir Path dir;

  private static GeneratorOptions segment(String startInstant, long count, int rate, int users, long seed) {
    GeneratorOptions o = new GeneratorOptions();
    o.startSec = Instant.parse(startInstant).getEpochSecond();
    o.count = count;
    o.ratePerSec = rate;
    o.users = users;
    o.seed = seed;
    o.sizeBytes = 400;
    o.delaySec = 20;
    o.delayPercent = 10;
    o.bitflipProb = 0.005;
    o.stringTsProb = 0.1;
    o.badProb = 0.03;
    o.dupProb = 0.02;
    o.dialectProb = 0.1;
    return o;
  }

  private Path write(String name, byte[] data) throws IOException {
    Path p = dir.resolve(name);
    if (name.endsWith(".gz")) {
      try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
        out.write(data);
      }
    } else {
      Files.write(p, data);
    }
    return p;
  }

  /**
   * The record stream's invariants — revisions 0, 1, 2, ... per window in output order, exactly one
   * final, early records only before it and updates only after — and its latest record per window.
   */
  static Map<String, JsonNode> latestPerWindow(List<JsonNode> records) {
    Map<String, JsonNode> latest = new java.util.TreeMap<>();
    for (JsonNode r : records) {
      String key = r.get("window").asText() + "/" + r.get("start").asText();
      JsonNode before = latest.get(key);
      String status = r.get("status").asText();
      assertEquals(before == null ? 0 : before.get("revision").asInt() + 1, r.get("revision").asInt(), r.toString());
      boolean wasFinal = before != null && !before.get("status").asText().equals("early");
      switch (status) {
        case "early":
        case "final":
          assertFalse(wasFinal, "after final: " + r);
          break;
        case "update":
          assertTrue(wasFinal, "update before final: " + r);
          break;
        default:
          throw new AssertionError("status " + r);
      }
      latest.put(key, r);
    }
    latest.values().forEach(r -> assertFalse(r.get("status").asText().equals("early"), "never final: " + r));
    return latest;
  }

  /** The latest record of every window equals the reference exactly, and no window is missing or extra. */
  private static void assertExactlyReference(List<JsonNode> records, ReferenceCounts reference) {
    Map<String, JsonNode> byKey = latestPerWindow(records);
    assertEquals(reference.windows.keySet(), byKey.keySet());
    reference.windows.forEach((key, truth) -> {
      JsonNode r = byKey.get(key);
      assertEquals(truth.uids.size(), r.get("uniques").asLong(), key);
      assertEquals(truth.frames, r.get("frames").asLong(), key);
      assertEquals(Instant.ofEpochSecond(truth.endSec).toString(), r.get("end").asText(), key);
    });
  }

  /** window key → "uniques/frames" of its latest record. */
  static Map<String, String> latestValues(Cli.Run run) throws IOException {
    Map<String, String> values = new java.util.TreeMap<>();
    latestPerWindow(run.records()).forEach((k, r) -> values.put(k, r.get("uniques") + "/" + r.get("frames")));
    return values;
  }

  /** The generator's true ts range for a segment: its positions, less the largest delay. */
  private static long[] trueRange(GeneratorOptions o) {
    return new long[] {o.startSec - o.delaySec, o.startSec + o.count / o.ratePerSec + 1};
  }

  @Test
  void exactCountsEqualTheReferenceAcrossYearMonthIsoWeekAndLeapDay() throws IOException {
    ReferenceCounts reference = new ReferenceCounts(ZoneId.of("UTC"));
    String[] starts = {"2019-12-31T23:55:00Z", "2020-02-28T23:58:00Z", "2020-02-29T23:57:00Z", "2020-12-31T23:58:00Z"};
    for (int i = 0; i < starts.length; i++) {
      GeneratorOptions o = segment(starts[i], 1500, 2, 300, 100 + i);
      byte[] data = GeneratedFrames.bytes(o);
      long[] range = trueRange(o);
      reference.range(range[0], range[1]).addLines(data);
      write("seg" + i + (i % 2 == 0 ? ".jsonl.gz" : ".jsonl"), data);
    }
    assertTrue(reference.windows.containsKey("day/2020-02-29T00:00:00Z"));
    assertTrue(reference.windows.containsKey("week/2019-12-30T00:00:00Z"));
    assertTrue(reference.windows.containsKey("week/2020-12-28T00:00:00Z"));

    Cli.Run r = Cli.run("count", "--input", dir.resolve("seg*").toString(), "--counter", "exact", "--threads", "3", "--stats-interval", "0");
    assertEquals(0, r.exit, r.err);
    assertExactlyReference(r.records(), reference);
    for (JsonNode rec : r.records()) {
      assertEquals("exact", rec.get("counter").asText());
      assertEquals(0.0, rec.get("rse").asDouble());
    }
  }

  @Test
  void exactCountsEqualTheReferenceInNewYorkAcrossBothDstChanges() throws IOException {
    ZoneId zone = ZoneId.of("America/New_York");
    ReferenceCounts reference = new ReferenceCounts(zone);
    GeneratorOptions fall = segment("2021-11-07T05:35:00Z", 3000, 1, 500, 7);
    GeneratorOptions spring = segment("2021-03-14T06:40:00Z", 2400, 1, 500, 8);
    byte[] fallBack = GeneratedFrames.bytes(fall);
    byte[] springForward = GeneratedFrames.bytes(spring);
    reference.range(trueRange(fall)[0], trueRange(fall)[1]).addLines(fallBack);
    reference.range(trueRange(spring)[0], trueRange(spring)[1]).addLines(springForward);
    assertTrue(reference.windows.containsKey("hour/2021-11-07T05:00:00Z"));
    assertTrue(reference.windows.containsKey("hour/2021-11-07T06:00:00Z"));
    // Files are read in the order given, as one history: the older one first.
    write("a.jsonl", springForward);
    write("b.jsonl", fallBack);

    Cli.Run r = Cli.run("count", "--input", dir.resolve("a.jsonl").toString(), "--input", dir.resolve("b.jsonl").toString(),
        "--zone", "America/New_York", "--counter", "exact", "--stats-interval", "0");
    assertEquals(0, r.exit, r.err);
    assertExactlyReference(r.records(), reference);
  }

  @Test
  void hllIsWithinThreeStandardErrorsAndOneOrFourThreadsGiveIdenticalOutput() throws IOException {
    GeneratorOptions o = segment("2016-07-11T13:39:44Z", 120_000, 800, 30_000, 5);
    o.sizeBytes = 300;
    byte[] data = GeneratedFrames.bytes(o);
    Path file = write("big.jsonl", data);
    ReferenceCounts reference = new ReferenceCounts(ZoneId.of("UTC")).range(trueRange(o)[0], trueRange(o)[1]).addLines(data);

    Cli.Run one = Cli.run("count", "--input", file.toString(), "--threads", "1", "--stats-interval", "0");
    Cli.Run four = Cli.run("count", "--input", file.toString(), "--threads", "4", "--stats-interval", "0");
    assertEquals(0, one.exit, one.err);
    Map<String, JsonNode> latestOne = latestPerWindow(one.records());
    Map<String, JsonNode> latestFour = latestPerWindow(four.records());
    assertEquals(latestOne.keySet(), latestFour.keySet());
    latestOne.forEach((key, r) -> {
      assertEquals(r.get("uniques"), latestFour.get(key).get("uniques"), key);
      assertEquals(r.get("frames"), latestFour.get(key).get("frames"), key);
    });
    assertEquals(reference.windows.keySet(), latestOne.keySet());

    int checked = 0;
    for (JsonNode rec : latestOne.values()) {
      ReferenceCounts.Window truth = reference.windows.get(rec.get("window").asText() + "/" + rec.get("start").asText());
      long exact = truth.uids.size();
      double rse = rec.get("rse").asDouble();
      if (exact >= 1000) {
        assertTrue(rse > 0.008 && rse < 0.0082, rec.toString());
        assertTrue(Math.abs(rec.get("uniques").asLong() - exact) <= 3 * rse * exact, rec + " vs exact " + exact);
        checked++;
      } else if (rse == 0) {
        assertEquals(exact, rec.get("uniques").asLong(), rec.toString());
      }
      assertEquals(truth.frames, rec.get("frames").asLong());
    }
    assertTrue(checked >= 6, "windows with >= 1000 users: " + checked);
  }

  @Test
  void stdinPlainFileAndGzipGiveTheSameOutput() throws IOException {
    byte[] data = GeneratedFrames.bytes(segment("2016-07-11T13:39:44Z", 5000, 20, 1000, 9));
    Path plain = write("f.jsonl", data);
    Path gz = write("f.jsonl.gz", data);
    Path renamed = Files.copy(gz, dir.resolve("gzip-without-extension"));
    Cli.Run fromFile = Cli.run("count", "--input", plain.toString(), "--stats-interval", "0");
    Cli.Run fromGzip = Cli.run("count", "--input", gz.toString(), "--stats-interval", "0");
    Cli.Run fromMagic = Cli.run("count", "--input", renamed.toString(), "--stats-interval", "0");
    Cli.Run fromStdin = Cli.run(new ByteArrayInputStream(data), "count", "--stats-interval", "0");
    Cli.Run fromDash = Cli.run(new ByteArrayInputStream(data), "count", "--input", "-", "--stats-interval", "0");
    assertEquals(0, fromFile.exit, fromFile.err);
    Map<String, String> expected = latestValues(fromFile);
    assertFalse(expected.isEmpty());
    for (Cli.Run r : new Cli.Run[] {fromGzip, fromMagic, fromStdin, fromDash}) {
      assertEquals(0, r.exit, r.err);
      assertEquals(expected, latestValues(r));
    }
  }

  @Test
  void outputFileAndWindowSubset() throws IOException {
    GeneratorOptions o = segment("2016-07-11T13:39:44Z", 3000, 20, 1000, 10);
    o.bitflipProb = 0;
    byte[] data = GeneratedFrames.bytes(o);
    Path in = write("in.jsonl", data);
    Path out = dir.resolve("out.jsonl");
    Cli.Run r = Cli.run("count", "--input", in.toString(), "--output", out.toString(), "--windows", "hour,day", "--emit", "final", "--stats-interval", "0");
    assertEquals(0, r.exit, r.err);
    assertEquals("", r.out);
    List<String> lines = Files.readAllLines(out);
    assertEquals(2, lines.size());
    assertTrue(lines.get(0).startsWith("{\"window\":\"hour\",\"start\":\"2016-07-11T13:00:00Z\",\"end\":\"2016-07-11T14:00:00Z\""), lines.get(0));
    assertTrue(lines.get(1).startsWith("{\"window\":\"day\""), lines.get(1));
  }

  @Test
  void everyScannerAndTrustedInputGiveTheSameCountsOnValidFrames() throws IOException {
    GeneratorOptions o = segment("2016-07-11T13:39:44Z", 20_000, 100, 3000, 12);
    o.badProb = 0; // trusting the input only differs on damaged frames
    Path file = write("valid.jsonl", GeneratedFrames.bytes(o));
    Cli.Run exact = Cli.run("count", "--input", file.toString(), "--stats-interval", "0", "--scanner", "exact");
    assertEquals(0, exact.exit, exact.err);
    assertTrue(exact.err.contains("scanner=exact "), exact.err);
    Map<String, String> expected = latestValues(exact);
    assertFalse(expected.isEmpty());
    for (String[] extra : new String[][] {{"--scanner", "swar"}, {"--scanner", "vector"}, {"--scanner", "auto"},
        {"--trust-input"}, {"--trust-input", "--scanner", "swar"}}) {
      List<String> args = new java.util.ArrayList<>(List.of("count", "--input", file.toString(), "--stats-interval", "0"));
      args.addAll(List.of(extra));
      Cli.Run r = Cli.run(args.toArray(new String[0]));
      assertEquals(0, r.exit, r.err);
      assertEquals(expected, latestValues(r), String.join(" ", extra));
    }
    Cli.Run trusted = Cli.run("count", "--input", file.toString(), "--stats-interval", "0", "--trust-input");
    assertTrue(trusted.err.contains("scanner=exact+trust "), trusted.err); // auto takes no fast pass when trusting
    assertOneCleanErrorLine(Cli.run("count", "--scanner", "simd"), 2, "--scanner must be auto, swar, vector or exact");
  }

  @Test
  void statsCountRejectedFramesByReason() throws IOException {
    String input = "{\"uid\":\"a\",\"ts\":1468244384}\n\nnot json\n{\"uid\":\"b\"}\n{\"uid\":\"c\",\"ts\":1.5}\n{\"uid\":\"d\",\"ts\":1468244385\n";
    Cli.Run r = Cli.run(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), "count", "--stats-interval", "0", "--windows", "minute");
    assertEquals(0, r.exit, r.err);
    assertTrue(r.err.contains("frames=6 accepted=1 rejected=5"), r.err);
    assertTrue(r.err.contains("rejected_by_reason=empty:1,not_object:1,truncated:1,missing_ts:1,ts_not_integer:1"), r.err);
    assertTrue(r.err.contains("decode_share="), r.err);
    assertTrue(r.err.contains("mb_per_s="), r.err);
    assertEquals(Map.of("minute/2016-07-11T13:39:00Z", "1/1"), latestValues(r));
  }

  @Test
  void oversizedLinesAreSkippedAndCounted() throws IOException {
    String big = "{\"uid\":\"x\",\"ts\":1468244384,\"pad\":\"" + "p".repeat(3000) + "\"}";
    String input = "{\"uid\":\"a\",\"ts\":1468244384}\n" + big + "\n{\"uid\":\"b\",\"ts\":1468244384}\n";
    Cli.Run r = Cli.run(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), "count", "--max-frame-bytes", "1000", "--stats-interval", "0", "--windows", "minute");
    assertEquals(0, r.exit, r.err);
    assertTrue(r.err.contains("rejected_by_reason=too_large:1"), r.err);
    assertEquals(Map.of("minute/2016-07-11T13:39:00Z", "2/2"), latestValues(r));
  }

  /** One error line on stderr, no stack trace, the exit status (results may have been published before). */
  private static void assertOneErrorLine(Cli.Run r, int exit, String fragment) {
    assertEquals(exit, r.exit, r.err);
    String[] lines = r.err.strip().split("\n");
    assertEquals(1, lines.length, r.err);
    assertTrue(lines[0].contains(fragment), r.err);
    assertFalse(r.err.contains("\tat "), r.err);
  }

  private static void assertOneCleanErrorLine(Cli.Run r, int exit, String fragment) {
    assertEquals(exit, r.exit, r.err);
    String[] lines = r.err.strip().split("\n");
    assertEquals(1, lines.length, r.err);
    assertTrue(lines[0].startsWith("uniqcount"), r.err);
    assertTrue(lines[0].contains(fragment), r.err);
    assertFalse(r.err.contains("\tat "), r.err);
    assertEquals("", r.out);
  }

  @Test
  void badOptionsGiveOneClearLineAndExitTwo() {
    assertOneCleanErrorLine(Cli.run("count", "--no-such-flag"), 2, "--no-such-flag");
    assertOneCleanErrorLine(Cli.run("count", "--precision", "3"), 2, "between 4 and 18");
    assertOneCleanErrorLine(Cli.run("count", "--precision", "many"), 2, "many");
    assertOneCleanErrorLine(Cli.run("count", "--counter", "approx"), 2, "hll or exact");
    assertOneCleanErrorLine(Cli.run("count", "--zone", "Mars/Olympus"), 2, "Mars/Olympus");
    assertOneCleanErrorLine(Cli.run("count", "--windows", "minute,fortnight"), 2, "fortnight");
    assertOneCleanErrorLine(Cli.run("count", "--threads", "0"), 2, "--threads");
    assertOneCleanErrorLine(Cli.run("count", "--stats-interval", "soon"), 2, "soon");
    assertOneCleanErrorLine(Cli.run("generate", "--bad-prob", "2"), 2, "--bad-prob");
    assertOneCleanErrorLine(Cli.run("count", "--emit", "sometimes"), 2, "--emit");
    assertOneCleanErrorLine(Cli.run("count", "--late-horizon", "fortnight=1d"), 2, "fortnight");
    assertOneCleanErrorLine(Cli.run("count", "--lateness", "soonish"), 2, "--lateness");
    assertOneCleanErrorLine(Cli.run("count", "--exactly-once", "--topic", "t", "--bootstrap-servers", "h:1"), 2, "--output-topic");
    assertOneCleanErrorLine(Cli.run("count", "--exactly-once", "--topic", "t", "--output-topic", "r", "--bootstrap-servers",
        "h:1", "--checkpoint-interval", "90s"), 2, "--checkpoint-interval 90s must be at most half the producer's transaction.timeout.ms (10000 ms)");
    assertOneCleanErrorLine(Cli.run("count", "--exactly-once", "--topic", "t", "--output-topic", "r", "--bootstrap-servers",
        "h:1", "--checkpoint-interval", "90s", "-X", "transaction.timeout.ms=60000"), 2, "transaction.timeout.ms (60000 ms)");
    assertOneCleanErrorLine(Cli.run("count", "--topic", "t", "--bootstrap-servers", "h:1", "--checkpoint-interval", "6s"), 2,
        "transaction.timeout.ms (10000 ms) with Kafka input");
    assertOneCleanErrorLine(Cli.run("count", "--topic", "t", "--group", "g", "--bootstrap-servers", "h:1",
        "--checkpoint-topic", "x"), 2, "--checkpoint-topic is gone: a Kafka job keeps its state in the compacted topic 'g-state'");
    assertOneCleanErrorLine(Cli.run("count", "--input", "x", "--state-topic", "s"), 2, "--state-topic needs --topic");
    assertOneCleanErrorLine(Cli.run("frobnicate"), 2, "frobnicate");
    long heapMib = Runtime.getRuntime().maxMemory() >> 20;
    assertOneCleanErrorLine(Cli.run("count", "--max-frame-bytes", "268435456"), 2,
        "--max-frame-bytes 268435456 needs 3 read buffers of 256 MiB, more than an eighth of the heap (" + heapMib + " MiB)");
    for (String[] tooLong : new String[][] {{"--idle-timeout", "200000d"}, {"--early-interval", "200000d"},
        {"--lateness", "59999999999999d"}, {"--max-future", "106751991167300d"}, {"--late-horizon", "99999999999d"},
        {"--stats-interval", "PT9999999999H"}, {"--lateness", "99999999999999999999999s"}}) {
      assertOneCleanErrorLine(Cli.run("count", tooLong[0], tooLong[1]), 2, tooLong[0] + ": at most 36500d (100 years)");
    }
  }

  @Test
  void missingOrBrokenInputGivesOneClearLineAndExitOne() throws IOException {
    assertOneCleanErrorLine(Cli.run("count", "--input", dir.resolve("nope.jsonl").toString()), 1, "no such file");
    assertOneCleanErrorLine(Cli.run("count", "--input", dir.resolve("*.none").toString()), 1, "no file matches");
    byte[] data = GeneratedFrames.bytes(segment("2016-07-11T13:39:44Z", 3000, 20, 1000, 11));
    Path gz = write("t.jsonl.gz", data);
    byte[] bytes = Files.readAllBytes(gz);
    Path truncated = Files.write(dir.resolve("truncated.gz"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
    Cli.Run r = Cli.run("count", "--input", truncated.toString(), "--stats-interval", "0");
    assertEquals(1, r.exit, r.err);
    assertTrue(r.err.contains("truncated.gz"), r.err);
    assertFalse(r.err.contains("\tat "), r.err);
    assertTrue(Cli.parse(r.out).stream().noneMatch(rec -> rec.get("window").asText().equals("year")),
        "the open windows are not flushed as final when an input could not be read whole: " + r.out);
    byte[] corrupt = bytes.clone();
    for (int i = 20; i < 200; i++) {
      corrupt[i] ^= 0x5a;
    }
    Path bad = Files.write(dir.resolve("corrupt.gz"), corrupt);
    Cli.Run c = Cli.run("count", "--input", bad.toString(), "--stats-interval", "0");
    assertEquals(1, c.exit, c.err);
    assertTrue(c.err.contains("corrupt.gz"), c.err);
    assertFalse(c.err.contains("\tat "), c.err);
  }

  @Test
  void aFullDiskUnderStdoutOrAnOutputFileEndsTheRunWithOneClearLine() throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(Path.of("/dev/full")), "needs /dev/full (Linux)");
    byte[] data = GeneratedFrames.bytes(segment("2016-07-11T13:39:44Z", 3000, 20, 1000, 13));
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int exit;
    try (java.io.PrintStream full = new java.io.PrintStream(new java.io.FileOutputStream("/dev/full"), false,
        StandardCharsets.UTF_8)) {
      exit = Main.execute(new String[] {"count", "--stats-interval", "0"}, new ByteArrayInputStream(data), full,
          new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
    }
    String stderr = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, exit, stderr);
    assertEquals("uniqcount count: cannot write results to stdout (the write failed: a full disk or a closed pipe?)",
        stderr.strip());

    Cli.Run file = Cli.run(new ByteArrayInputStream(data), "count", "--stats-interval", "0", "-o", "/dev/full");
    assertOneCleanErrorLine(file, 1, "cannot write results to /dev/full: No space left on device");
  }

  @Test
  void aDamagedGzipMemberAnywhereIsAnInputErrorNotAQuietEnd() throws IOException {
    byte[] a = GeneratedFrames.bytes(segment("2016-07-11T13:39:44Z", 2000, 20, 500, 14));
    byte[] b = GeneratedFrames.bytes(segment("2016-07-12T13:39:44Z", 2000, 20, 500, 15));
    byte[] first = Files.readAllBytes(write("a.gz", a));
    byte[] second = Files.readAllBytes(write("b.gz", b));
    java.io.ByteArrayOutputStream both = new java.io.ByteArrayOutputStream();
    both.writeBytes(first);
    both.writeBytes(second);
    Path whole = Files.write(dir.resolve("two-members.gz"), both.toByteArray());
    Cli.Run ok = Cli.run("count", "--input", whole.toString(), "--stats-interval", "0");
    assertEquals(0, ok.exit, ok.err);
    assertTrue(ok.err.contains("frames=4000 "), ok.err);

    byte[] damaged = both.toByteArray();
    damaged[first.length + 3] = (byte) 0xff; // the second member's header flags
    Path bad = Files.write(dir.resolve("damaged-second.gz"), damaged);
    assertOneErrorLine(Cli.run("count", "--input", bad.toString(), "--stats-interval", "0"), 1,
        "damaged-second.gz: damaged gzip member 2 (at byte " + first.length + "): reserved header flags set (0xff)");

    java.io.ByteArrayOutputStream garbage = new java.io.ByteArrayOutputStream();
    garbage.writeBytes(both.toByteArray());
    garbage.writeBytes("not gzip\n".getBytes(StandardCharsets.UTF_8));
    Path trailing = Files.write(dir.resolve("trailing.gz"), garbage.toByteArray());
    assertOneErrorLine(Cli.run("count", "--input", trailing.toString(), "--stats-interval", "0"), 1,
        "trailing.gz: trailing garbage after the gzip data at byte " + both.size());
  }

  @Test
  void theMostThreadsAllowedRunWithinTheHeap() throws IOException {
    byte[] data = GeneratedFrames.bytes(segment("2016-07-11T13:39:44Z", 2000, 20, 500, 16));
    Cli.Run r = Cli.run(new ByteArrayInputStream(data), "count", "--threads", "256", "--stats-interval", "0");
    assertEquals(0, r.exit, r.err);
    assertTrue(r.err.contains("frames=2000 "), r.err);
  }

  @Test
  void oddInputsGiveOneClearLineOrSimplyWork() throws Exception {
    // a gzip of only a header
    Path header = Files.write(dir.resolve("header-only.gz"), new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3});
    assertOneCleanErrorLine(Cli.run("count", "--input", header.toString(), "--stats-interval", "0"), 1,
        "header-only.gz: unexpected end of compressed data in gzip member 1 (truncated gzip?)");
    // a glob that is not one
    assertOneCleanErrorLine(Cli.run("count", "--input", dir.resolve("[unclosed").toString()), 2, "not a valid glob");
    // a file name that would forge a line of the log
    Cli.Run forged = Cli.run("count", "--input", dir.resolve("x\nuniqcount: done frames=0").toString());
    assertOneCleanErrorLine(forged, 1, "x\\u000auniqcount: done frames=0: no such file");
    // a stray file named like a snapshot is not one
    Path ck = Files.createDirectories(dir.resolve("ck"));
    Files.writeString(ck.resolve("snapshot-99999999999999999999.ucp"), "stray");
    byte[] data = GeneratedFrames.bytes(segment("2016-07-11T13:39:44Z", 500, 20, 100, 17));
    Path in = write("in.jsonl", data);
    Cli.Run r = Cli.run("count", "--input", in.toString(), "--checkpoint", ck.toString(), "--stats-interval", "0");
    assertEquals(0, r.exit, r.err);
  }

  @Test
  void aFifoIsReadLikeStdinButCannotBeCheckpointed() throws Exception {
    Path fifo = dir.resolve("frames.fifo");
    Process mkfifo;
    try {
      mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    } catch (IOException e) {
      org.junit.jupiter.api.Assumptions.abort("no mkfifo here");
      return;
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo failed");
    byte[] data = GeneratedFrames.bytes(segment("2016-07-11T13:39:44Z", 2000, 20, 500, 18));
    Thread writer = new Thread(() -> {
      try (OutputStream out = Files.newOutputStream(fifo)) {
        out.write(data);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    writer.start();
    Cli.Run r = Cli.run("count", "--input", fifo.toString(), "--stats-interval", "0");
    writer.join();
    assertEquals(0, r.exit, r.err);
    assertEquals(latestValues(Cli.run(new ByteArrayInputStream(data), "count", "--stats-interval", "0")), latestValues(r));
    assertOneCleanErrorLine(Cli.run("count", "--input", fifo.toString(), "--checkpoint", dir.resolve("ck2").toString()), 2,
        "is a pipe or a device, which cannot be replayed");
  }
}
