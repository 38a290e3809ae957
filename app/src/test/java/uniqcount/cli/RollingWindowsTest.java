package uniqcount.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.datasketches.hll.HllSketch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uniqcount.gen.GeneratorOptions;
import uniqcount.reference.GeneratedFrames;
import uniqcount.reference.JacksonReference;
import uniqcount.reference.ReferenceCounts;

/**
 * {@code count --rolling}: every minute, "the last D up to the watermark", checked against the
 * uids of the frames in its range (Jackson + HashSet over the reference's minutes, never the
 * engine's hour and day tiles), across a DST change, with every fault the generator injects.
 */
class RollingWindowsTest {
  /** 2016-10-29 12:00 UTC: two days across the end of summer time in Zurich (Oct 30, 01:00 UTC). */
  private static final long START = 1_477_742_400L;

  /** One frame a second for two days, every fault. */
  private static GeneratorOptions twoDays(int seed) {
    return GeneratedFrames.withFaults(START, 2 * 86_400, 1, 5_000, seed, 200, 20);
  }

  /** The generator's frames, and the truth per minute (bit-flipped timestamps outside its range are not counted). */
  private record Data(Path file, ReferenceCounts minutes, List<JacksonReference.Fields> frames) {}

  private static Data write(Path dir, GeneratorOptions o, String name) throws Exception {
    byte[] all = GeneratedFrames.bytes(o);
    Path f = dir.resolve(name);
    Files.write(f, all);
    long end = o.startSec + o.count / o.ratePerSec + 1;
    ReferenceCounts minutes = GeneratedFrames.reference(o, all);
    List<JacksonReference.Fields> frames = new ArrayList<>();
    for (byte[] line : GeneratedFrames.lines(all)) {
      JacksonReference.Fields x = JacksonReference.parse(line, 0, line.length);
      if (x != null && x.ts >= o.startSec - o.delaySec && x.ts <= end) {
        frames.add(x);
      }
    }
    return new Data(f, minutes, frames);
  }

  private static long sec(JsonNode r, String field) {
    return Instant.parse(r.get(field).asText()).getEpochSecond();
  }

  /** The rolling records of one duration, by end. */
  private static TreeMap<Long, JsonNode> rolling(List<JsonNode> records, String window) {
    TreeMap<Long, JsonNode> byEnd = new TreeMap<>();
    for (JsonNode r : records) {
      if (r.get("window").asText().equals(window)) {
        assertEquals(null, byEnd.put(sec(r, "end"), r), "published twice: " + r);
      }
    }
    return byEnd;
  }

  @Test
  void everyMinuteTheLastDIsExactlyTheUidsInItsRange(@TempDir Path dir) throws Exception {
    GeneratorOptions o = twoDays(5);
    Data data = write(dir, o, "frames.jsonl");
    // lateness above the generator's largest delay: every frame is in before its rolling windows close;
    // fed slowly, so that the watermark moves by an hour or so per round and windows are released
    // during the run (at full speed the whole file is counted before the first round)
    Cli.Run run = Cli.run(new Throttled(Files.readAllBytes(data.file())), "count", "-i", "-", "--counter", "exact",
        "--zone", "Europe/Zurich", "--lateness", "30s", "--rolling", "30m,1h,24h,2d", "--emit", "final",
        "--early-interval", "50ms", "--threads", "2", "--stats-interval", "0");
    assertEquals(0, run.exit, run.err);
    List<JsonNode> records = Cli.parse(run.out);
    long firstMinute = Long.MAX_VALUE;
    long lastMinute = Long.MIN_VALUE;
    for (String key : data.minutes().windows.keySet()) {
      if (key.startsWith("minute/")) {
        long m = Instant.parse(key.substring("minute/".length())).getEpochSecond();
        firstMinute = Math.min(firstMinute, m);
        lastMinute = Math.max(lastMinute, m);
      }
    }
    int checked = 0;
    for (String window : List.of("rolling-30m", "rolling-1h", "rolling-24h", "rolling-2d")) {
      TreeMap<Long, JsonNode> byEnd = rolling(records, window);
      long d = window.equals("rolling-30m") ? 1800 : window.equals("rolling-1h") ? 3600
          : window.equals("rolling-24h") ? 86_400 : 2 * 86_400;
      // up to a day one record per minute, longer ones per whole hour: from the end of the first
      // minute with frames to the end of the last
      long step = d <= 86_400 ? 60 : 3600;
      long first = (firstMinute + 60 + step - 1) / step * step;
      long last = (lastMinute + 60) / step * step;
      assertEquals(first, byEnd.firstKey(), window);
      assertEquals(last, byEnd.lastKey(), window);
      assertEquals((last - first) / step + 1, byEnd.size(), window);
      for (Map.Entry<Long, JsonNode> e : byEnd.entrySet()) {
        JsonNode r = e.getValue();
        long end = e.getKey();
        long start = sec(r, "start");
        assertEquals(end - d, start, r.toString());
        assertEquals("final", r.get("status").asText());
        assertEquals(0, r.get("revision").asInt());
        assertEquals(window + "/" + Instant.ofEpochSecond(start), Cli.key(r));
        // every record but of 24h, every 13th of those (each is a union of up to a day of minutes)
        if (d != 86_400 || (end / 60) % 13 == 0 || end == byEnd.lastKey()) {
          long[] t = data.minutes().truthOf(start, end);
          assertEquals(t[0] + "/" + t[1], r.get("uniques").asLong() + "/" + r.get("frames").asLong(),
              window + " ending " + Instant.ofEpochSecond(end));
          checked++;
        }
      }
    }
    assertTrue(checked > 5900, "records checked: " + checked);
  }

  @Test
  void hllRollingWindowsCarryTheirSketchAndAreWithinThreeStandardErrors(@TempDir Path dir) throws Exception {
    GeneratorOptions o = twoDays(6);
    o.count = 40_000; // 11 hours
    o.users = 20_000;
    o.delaySec = 3;
    Data data = write(dir, o, "frames.jsonl");
    // fed slowly with frames no later than the lateness: the minutes' published sketches are what
    // the rolling windows were made of
    Cli.Run run = Cli.run(new Throttled(Files.readAllBytes(data.file())), "count", "-i", "-", "--counter", "hll",
        "--emit-sketch", "--lateness", "30s", "--rolling", "2h,12h", "--emit", "final", "--early-interval", "50ms",
        "--stats-interval", "0");
    assertEquals(0, run.exit, run.err);
    List<JsonNode> records = Cli.parse(run.out);
    Map<String, JsonNode> last = Cli.lastPerWindow(run.out);
    int checked = 0;
    for (String window : List.of("rolling-2h", "rolling-12h")) {
      for (JsonNode r : rolling(records, window).values()) {
        // DataSketches' union of the published minute sketches in its range: the same registers
        org.apache.datasketches.hll.Union minutes = new org.apache.datasketches.hll.Union(14);
        for (long m = sec(r, "start"); m < sec(r, "end"); m += 60) {
          JsonNode minute = last.get("minute/" + Instant.ofEpochSecond(m));
          if (minute != null) {
            minutes.update(HllSketch.heapify(Base64.getDecoder().decode(minute.get("sketch").asText())));
          }
        }
        // compared with the same (composite) estimator: a union grown coupon by coupon past the
        // coupon limit reports its HIP estimate
        HllSketch theirs = minutes.getResult();
        HllSketch ours = HllSketch.heapify(Base64.getDecoder().decode(r.get("sketch").asText()));
        assertEquals(theirs.isEstimationMode() ? theirs.getCompositeEstimate() : theirs.getEstimate(),
            ours.isEstimationMode() ? ours.getCompositeEstimate() : ours.getEstimate(), 1e-9,
            "the union of its minutes, by DataSketches: " + r.get("window") + " " + r.get("start"));
        long[] t = data.minutes().truthOf(sec(r, "start"), sec(r, "end"));
        double rse = r.get("rse").asDouble();
        long uniques = r.get("uniques").asLong();
        assertTrue(Math.abs(uniques - t[0]) <= Math.max(3 * rse * t[0], 0.5), r + " truth " + t[0]);
        assertEquals(t[1], r.get("frames").asLong(), r.toString());
        HllSketch s = HllSketch.heapify(Base64.getDecoder().decode(r.get("sketch").asText()));
        assertEquals(uniques, Math.round(s.getEstimate()), r.toString());
        checked++;
      }
    }
    assertTrue(checked > 1200, "records checked: " + checked);
  }

  /**
   * Rolling windows hold minute and hour windows past their horizon; which frames count must not
   * change: with frames up to an hour late and a 10-minute minute horizon, the calendar windows and
   * the late-dropped count are those of a run without {@code --rolling}. A rolling window is
   * published once, when the watermark passes its end plus lateness: it holds at least every
   * frame in its range that was not late, and at most every frame in its range.
   */
  @Test
  void rollingWindowsNeverChangeWhichFramesCount(@TempDir Path dir) throws Exception {
    GeneratorOptions o = twoDays(7);
    o.count = 30_000;
    o.delaySec = 3600;
    o.delayPercent = 10;
    Data data = write(dir, o, "frames.jsonl");
    String[] common = {"count", "-i", "-", "--counter", "exact", "--late-horizon",
        "minute=10m,hour=2d,day=7d,week=7d,month=7d,year=7d", "--emit", "final", "--early-interval", "50ms",
        "--threads", "2"};
    byte[] frames = Files.readAllBytes(data.file());
    Cli.Run plain = Cli.run(new Throttled(frames), common);
    List<String> withRolling = new ArrayList<>(List.of(common));
    withRolling.addAll(List.of("--rolling", "1h,3h"));
    Cli.Run rolled = Cli.run(new Throttled(frames), withRolling.toArray(new String[0]));
    assertEquals(0, plain.exit, plain.err);
    assertEquals(0, rolled.exit, rolled.err);
    Map<String, String> calendar = new TreeMap<>(Cli.lastValuesPerWindow(rolled.out));
    calendar.keySet().removeIf(k -> k.startsWith("rolling-"));
    assertEquals(Cli.lastValuesPerWindow(plain.out), calendar);
    String dropped = stat(plain.err, "late_dropped");
    assertNotEquals("0", dropped, "the test needs frames beyond the minute horizon");
    assertEquals(dropped, stat(rolled.err, "late_dropped"));
    assertEquals(stat(plain.err, "implausible_ts"), stat(rolled.err, "implausible_ts"));

    // bounds: every frame that was not late (ts within lateness of the largest ts before it) is in
    // the rolling windows holding it; nothing outside the range is
    List<JsonNode> records = Cli.parse(rolled.out);
    int checked = 0;
    for (String window : List.of("rolling-1h", "rolling-3h")) {
      for (JsonNode r : rolling(records, window).values()) {
        long start = sec(r, "start");
        long end = sec(r, "end");
        Set<String> onTime = new HashSet<>();
        Set<String> all = new HashSet<>();
        long max = Long.MIN_VALUE;
        for (JacksonReference.Fields f : data.frames()) {
          boolean late = f.ts < max - 5;
          max = Math.max(max, f.ts);
          if (f.ts >= start && f.ts < end) {
            all.add(f.uid);
            if (!late) {
              onTime.add(f.uid);
            }
          }
        }
        long uniques = r.get("uniques").asLong();
        assertTrue(uniques >= onTime.size() && uniques <= all.size(),
            r + ": on time " + onTime.size() + ", all " + all.size());
        checked++;
      }
    }
    assertTrue(checked > 400, "records checked: " + checked);
  }

  /** Standard input that gives 16 KiB per read, a millisecond apart. */
  private static final class Throttled extends java.io.ByteArrayInputStream {
    Throttled(byte[] data) {
      super(data);
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) {
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return super.read(b, off, Math.min(len, 16 * 1024));
    }
  }

  private static String stat(String err, String name) {
    for (String line : err.split("\n")) {
      if (line.contains(" done ") || line.startsWith("uniqcount: done")) {
        for (String part : line.split(" ")) {
          if (part.startsWith(name + "=")) {
            return part.substring(name.length() + 1);
          }
        }
      }
    }
    throw new AssertionError("no " + name + " in: " + err);
  }

  /**
   * Two hours of frames, a quiet stretch, two hours more, read at full speed (the whole file is
   * counted before the first round, so the end of input publishes nearly everything): every
   * window that holds frames is published and exact, and the quiet stretch costs each duration
   * one empty record — a quiet year with all six windows counted (weeks, months and years with
   * frames span it), and 36 hours with minutes, hours and days only.
   */
  @Test
  void aQuietStretchCostsOneEmptyRecordPerDurationAndLosesNoWindow(@TempDir Path dir) throws Exception {
    for (String[] c : new String[][] {{"366", "minute,hour,day,week,month,year"}, {"1.5", "minute,hour,day"}}) {
      GeneratorOptions a = twoDays(8);
      a.count = 7_200;
      a.bitflipProb = 0; // a flipped timestamp could fall in the quiet stretch
      GeneratorOptions b = twoDays(9);
      b.count = 7_200;
      b.bitflipProb = 0;
      b.startSec = a.startSec + (long) (Double.parseDouble(c[0]) * 86_400);
      Path file = dir.resolve("frames-" + c[0] + ".jsonl");
      byte[] first = GeneratedFrames.bytes(a);
      byte[] second = GeneratedFrames.bytes(b);
      Files.write(file, first);
      Files.write(file, second, java.nio.file.StandardOpenOption.APPEND);
      ReferenceCounts minutes = new ReferenceCounts(ZoneId.of("UTC")).addLines(first).addLines(second);
      java.util.TreeSet<Long> dataMinutes = new java.util.TreeSet<>();
      for (String key : minutes.windows.keySet()) {
        if (key.startsWith("minute/")) {
          dataMinutes.add(Instant.parse(key.substring("minute/".length())).getEpochSecond());
        }
      }
      Cli.Run run = Cli.run("count", "-i", file.toString(), "--counter", "exact", "--lateness", "30s",
          "--windows", c[1], "--rolling", "10m,1h,2d", "--emit", "final", "--stats-interval", "0");
      assertEquals(0, run.exit, run.err);
      List<JsonNode> records = Cli.parse(run.out);
      for (String window : List.of("rolling-10m", "rolling-1h", "rolling-2d")) {
        TreeMap<Long, JsonNode> byEnd = rolling(records, window);
        long d = window.equals("rolling-10m") ? 600 : window.equals("rolling-1h") ? 3600 : 2 * 86_400;
        long step = d <= 86_400 ? 60 : 3600;
        int empty = 0;
        for (JsonNode r : byEnd.values()) {
          long[] t = minutes.truthOf(sec(r, "start"), sec(r, "end"));
          assertEquals(t[0] + "/" + t[1], r.get("uniques") + "/" + r.get("frames"), r.toString());
          if (r.get("frames").asLong() == 0) {
            empty++;
          }
        }
        long quiet = b.startSec - (a.startSec + 7_200);
        assertEquals(d < quiet ? 1 : 0, empty, window + " over " + c[0] + " days: the quiet stretch said once"
            + " (if the window ever is empty)");
        // every window that holds frames, up to the end of the last minute with frames
        for (long end = (dataMinutes.first() + 60 + step - 1) / step * step; end <= dataMinutes.last() + 60;
            end += step) {
          Long inside = dataMinutes.ceiling(end - d);
          if (inside != null && inside < end) {
            assertTrue(byEnd.containsKey(end), window + " over " + c[0] + " days: no record ending "
                + Instant.ofEpochSecond(end));
          }
        }
      }
    }
  }

  @Test
  void badRollingOptionsAreRefusedWithOneLine() {
    for (String[] bad : new String[][] {{"--rolling", "90s"}, {"--rolling", "0m"}, {"--rolling", "32d"},
        {"--rolling", "1530m"}, {"--rolling", "24h,1d"},
        {"--rolling", "1h,"}, {"--rolling", "1h", "--windows", "hour,day"},
        {"--rolling", "1h", "--windows", "minute,day"}, {"--rolling", "soon"}}) {
      List<String> args = new ArrayList<>(List.of("count", "-i", "-"));
      args.addAll(List.of(bad));
      Cli.Run r = Cli.run(args.toArray(new String[0]));
      assertEquals(2, r.exit, String.join(" ", bad) + ": " + r.err);
      assertTrue(r.err.contains("--rolling"), r.err);
      assertEquals(1, r.err.strip().split("\n").length, r.err);
    }
  }
}
