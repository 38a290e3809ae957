package uniqcount.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uniqcount.gen.GeneratorOptions;
import uniqcount.reference.JacksonReference;
import uniqcount.reference.GeneratedFrames;

/**
 * Any-range queries ({@code uniqcount query}, {@code serve}'s {@code /api/uniques}) over two days
 * of results written with {@code --emit-sketch}: random minute-aligned ranges against a HashSet of
 * the uids whose ts falls in the range (Jackson), within 3 × rse; the fewest windows tile a range;
 * bad ranges are one clear line naming what can be answered.
 */
class RangeQueryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long START = 1_467_331_200L; // 2016-07-01T00:00:00Z
  private static final long SECONDS = 2 * 86_400L;
  @TempDir
  static Path dir;
  private static Path results;
  private static Path exactResults;
  /** (ts, uid) of every frame the job counts: valid, inside the generator's true range. */
  private static final List<long[]> times = new ArrayList<>();
  private static final List<String> uids = new ArrayList<>();

  @BeforeAll
  static void countTwoDays() throws Exception {
    GeneratorOptions o = GeneratedFrames.withFaults(START, SECONDS, 1, 4_000, 61, 200, 10);
    Path frames = dir.resolve("frames.jsonl");
    byte[] all = GeneratedFrames.bytes(o);
    Files.write(frames, all);
    for (byte[] line : GeneratedFrames.lines(all)) {
      JacksonReference.Fields f = JacksonReference.parse(line, 0, line.length);
      if (f != null && f.ts >= START - o.delaySec && f.ts <= START + SECONDS) {
        times.add(new long[] {f.ts});
        uids.add(f.uid);
      }
    }
    results = dir.resolve("results.jsonl");
    Cli.Run run = Cli.run("count", "-i", frames.toString(), "--counter", "hll", "--emit-sketch", "--emit", "final",
        "-o", results.toString());
    assertEquals(0, run.exit, run.err);
    exactResults = dir.resolve("exact.jsonl");
    Cli.Run exact = Cli.run("count", "-i", frames.toString(), "--counter", "exact", "-o", exactResults.toString());
    assertEquals(0, exact.exit, exact.err);
  }

  private static long truth(long from, long to) {
    Set<String> set = new HashSet<>();
    for (int i = 0; i < times.size(); i++) {
      if (times.get(i)[0] >= from && times.get(i)[0] < to) {
        set.add(uids.get(i));
      }
    }
    return set.size();
  }

  private static JsonNode query(Path file, long from, long to) throws Exception {
    Cli.Run r = Cli.run("query", "-i", file.toString(), "--from", Instant.ofEpochSecond(from).toString(),
        "--to", Instant.ofEpochSecond(to).toString());
    assertEquals(0, r.exit, r.err);
    return JSON.readTree(r.out);
  }

  @Test
  void randomRangesAgreeWithTheUidsInThemWithin3Rse() throws Exception {
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < 25; i++) {
      long from = START + 60L * r.nextInt((int) (SECONDS / 60 - 2));
      long to = Math.min(START + SECONDS, from + 60L * (1 + r.nextInt(r.nextBoolean() ? 120 : 2_000)));
      JsonNode a = query(results, from, to);
      long truth = truth(from, to);
      long uniques = a.get("uniques").asLong();
      double rse = a.get("rse").asDouble();
      assertTrue(Math.abs(uniques - truth) <= 3 * Math.max(rse, 0.0081) * truth + 1,
          "[" + Instant.ofEpochSecond(from) + ", " + Instant.ofEpochSecond(to) + "): " + uniques + " against " + truth
              + " (" + a + ")");
      assertEquals(Instant.ofEpochSecond(from).toString(), a.get("from").asText());
      assertEquals(Instant.ofEpochSecond(to).toString(), a.get("to").asText());
    }
  }

  @Test
  void theFewestWindowsTileTheRange() throws Exception {
    long from = START + 23 * 3_600 + 57 * 60; // 23:57 on the first day
    long to = START + 86_400 + 86_400 - 3_600 + 2 * 60; // 23:02 on the second day
    JsonNode a = query(results, from, to);
    List<String> windows = new ArrayList<>();
    a.get("windows").forEach(w -> windows.add(w.asText()));
    List<String> want = new ArrayList<>(List.of("minute/2016-07-01T23:57:00Z", "minute/2016-07-01T23:58:00Z",
        "minute/2016-07-01T23:59:00Z"));
    for (int h = 0; h < 23; h++) {
      want.add(String.format("hour/2016-07-02T%02d:00:00Z", h));
    }
    want.add("minute/2016-07-02T23:00:00Z");
    want.add("minute/2016-07-02T23:01:00Z");
    assertEquals(want, windows);
    // a whole day is its day window, and needs no sketch: the exact job answers it exactly
    JsonNode day = query(exactResults, START, START + 86_400);
    assertEquals(List.of("day/2016-07-01T00:00:00Z"), List.of(day.get("windows").get(0).asText()));
    assertEquals(truth(START, START + 86_400), day.get("uniques").asLong());
    assertEquals(0.0, day.get("rse").asDouble());
  }

  @Test
  void badRangesAreOneClearLineNamingWhatCanBeAnswered() throws Exception {
    String f = results.toString();
    Cli.Run unaligned = Cli.run("query", "-i", f, "--from", "2016-07-01T10:00:30Z", "--to", "2016-07-01T11:00:00Z");
    assertEquals(1, unaligned.exit);
    assertEquals("uniqcount query: from and to must be whole minutes; the nearest range is 2016-07-01T10:00:00Z to"
        + " 2016-07-01T11:00:00Z\n", unaligned.err);
    Cli.Run reversed = Cli.run("query", "-i", f, "--from", "2016-07-01T11:00:00Z", "--to", "2016-07-01T10:00:00Z");
    assertEquals("uniqcount query: to (2016-07-01T10:00:00Z) must be after from (2016-07-01T11:00:00Z)\n", reversed.err);
    Cli.Run future = Cli.run("query", "-i", f, "--from", "2016-07-01T10:00:00Z", "--to", "2999-01-01T00:00:00Z");
    assertEquals("uniqcount query: to (2999-01-01T00:00:00Z) is in the future; the latest answerable end is"
        + " 2016-07-03T00:00:00Z\n", future.err);
    Cli.Run before = Cli.run("query", "-i", f, "--from", "2016-06-30T23:00:00Z", "--to", "2016-07-01T01:00:00Z");
    assertEquals(1, before.exit);
    assertTrue(before.err.startsWith("uniqcount query: no window held starts at 2016-06-30T23:00:00Z"), before.err);
    assertTrue(before.err.contains("this source holds minutes from ") && before.err.contains(" to 2016-07-03T00:00:00Z,"),
        before.err);
    Cli.Run noSketch = Cli.run("query", "-i", exactResults.toString(), "--from", "2016-07-01T10:00:00Z", "--to",
        "2016-07-01T12:00:00Z");
    assertEquals("uniqcount query: window hour/2016-07-01T10:00:00Z has no sketch: a range of several windows needs the"
        + " job to run with --counter hll --emit-sketch\n", noSketch.err);
    Cli.Run junk = Cli.run("query", "-i", f, "--from", "yesterday", "--to", "2016-07-01T12:00:00Z");
    assertEquals("uniqcount query: from \"yesterday\" is not an ISO-8601 instant such as 2016-07-11T13:00:00Z\n", junk.err);
  }

  @Test
  void aDamagedSketchIsSkippedAndCountedAndServeAnswersTheSameOverHttp() throws Exception {
    Path mixed = dir.resolve("mixed.jsonl");
    List<String> lines = new ArrayList<>(Files.readAllLines(results));
    lines.add("{\"window\":\"minute\",\"start\":\"2016-07-01T00:00:00Z\",\"end\":\"2016-07-01T00:01:00Z\",\"uniques\":1,"
        + "\"frames\":1,\"status\":\"update\",\"revision\":99,\"counter\":\"hll\",\"rse\":0,\"sketch\":\"!!not base64\"}");
    lines.add("{\"window\":\"minute\",\"start\":\"2016-07-01T00:01:00Z\",\"end\":\"2016-07-01T00:02:00Z\",\"uniques\":1,"
        + "\"frames\":1,\"status\":\"update\",\"revision\":99,\"counter\":\"hll\",\"rse\":0,\"sketch\":\"AAAA\"}");
    // headers that would make a reader fail in a union (lgK 22) or allocate a gigabyte (lgK 30)
    byte[] list22 = {2, 1, 7, 22, 3, 8, 0, 8};
    byte[] hll30 = new byte[40];
    hll30[0] = 10;
    hll30[1] = 1;
    hll30[2] = 7;
    hll30[3] = 30;
    hll30[7] = 10;
    for (byte[] header : new byte[][] {list22, hll30}) {
      lines.add("{\"window\":\"minute\",\"start\":\"2016-07-01T00:02:00Z\",\"end\":\"2016-07-01T00:03:00Z\",\"uniques\":1,"
          + "\"frames\":1,\"status\":\"update\",\"revision\":99,\"counter\":\"hll\",\"rse\":0,\"sketch\":\""
          + java.util.Base64.getEncoder().encodeToString(header) + "\"}");
    }
    Files.write(mixed, lines);
    long from = START + 3_600;
    long to = START + 5 * 3_600 + 7 * 60;
    Cli.Run r = Cli.run("query", "-i", mixed.toString(), "--from", Instant.ofEpochSecond(from).toString(), "--to",
        Instant.ofEpochSecond(to).toString());
    assertEquals(0, r.exit, r.err);
    assertEquals("uniqcount: skipped records that are not results: {bad_sketch=4}\n", r.err);
    JsonNode offline = JSON.readTree(r.out);
    try (ServeRun serve = new ServeRun("--input", mixed.toString(), "--http-port", "0")) {
      serve.awaitJson("/api/windows", j -> j.get("stats").get("read").asLong() >= lines.size());
      HttpResponse<String> online = serve.get("/api/uniques?from=" + Instant.ofEpochSecond(from) + "&to="
          + Instant.ofEpochSecond(to));
      assertEquals(200, online.statusCode(), online.body());
      assertEquals(offline, JSON.readTree(online.body()));
      HttpResponse<String> bad = serve.get("/api/uniques?from=" + Instant.ofEpochSecond(to) + "&to="
          + Instant.ofEpochSecond(from));
      assertEquals(400, bad.statusCode());
      assertTrue(bad.body().startsWith("{\"error\":\"to ("), bad.body());
    }
  }
}
