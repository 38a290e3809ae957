package uniqcount.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import uniqcount.count.CounterSpec;
import uniqcount.emit.ResultRecord;
import uniqcount.gen.FrameGenerator;
import uniqcount.gen.GeneratorOptions;
import uniqcount.reference.ReferenceCounts;
import uniqcount.window.EventTimePolicy;
import uniqcount.window.Granularity;

class EventTimeTest {
  private static final long START = Instant.parse("2016-07-11T13:39:44Z").getEpochSecond();
  private static final long MS = 1_000_000L;

  private static GeneratorOptions options(long count, int rate, long seed) {
    GeneratorOptions o = new GeneratorOptions();
    o.count = count;
    o.ratePerSec = rate;
    o.users = 400;
    o.seed = seed;
    o.sizeBytes = 300;
    o.startSec = START;
    return o;
  }

  private static byte[] generate(GeneratorOptions o) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new FrameGenerator(o).writeAll(out);
    return out.toByteArray();
  }

  private static String key(ResultRecord r) {
    return r.window() + "/" + Instant.ofEpochSecond(r.startSec());
  }

  /** Checks revisions and statuses per window; returns the latest record per window. */
  static Map<String, ResultRecord> latest(List<ResultRecord> records) {
    Map<String, ResultRecord> latest = new TreeMap<>();
    Map<String, Integer> finals = new HashMap<>();
    for (ResultRecord r : records) {
      ResultRecord before = latest.get(key(r));
      assertEquals(before == null ? 0 : before.revision() + 1, r.revision(), r.toString());
      boolean wasFinal = before != null && before.status() != ResultRecord.Status.EARLY;
      if (r.status() == ResultRecord.Status.UPDATE) {
        assertTrue(wasFinal, "update before final: " + r);
      } else {
        assertFalse(wasFinal, "after final: " + r);
      }
      if (r.status() == ResultRecord.Status.FINAL) {
        finals.merge(key(r), 1, Integer::sum);
      }
      latest.put(key(r), r);
    }
    latest.keySet().forEach(k -> assertEquals(1, finals.getOrDefault(k, 0), "finals of " + k));
    return latest;
  }

  private static void assertLatestEqualsReference(Map<String, ResultRecord> latest, ReferenceCounts reference) {
    assertEquals(reference.windows.keySet(), latest.keySet());
    reference.windows.forEach((k, truth) -> {
      assertEquals(truth.uids.size(), latest.get(k).uniques(), k);
      assertEquals(truth.frames, latest.get(k).frames(), k);
    });
  }

  @Test
  void delaysWithinLatenessGiveExactFinalRecords() throws Exception {
    GeneratorOptions o = options(30_000, 50, 1);
    o.delaySec = 5;
    o.delayPercent = 30;
    byte[] data = generate(o);
    ReferenceCounts reference = new ReferenceCounts(ZoneId.of("UTC")).addLines(data);
    EngineHarness engine = EngineHarness.withDefaults(3);
    engine.feed(data, 0, 50 * MS);
    engine.flush();
    int finals = 0;
    for (ResultRecord r : engine.records) {
      if (r.status() == ResultRecord.Status.FINAL) {
        ReferenceCounts.Window truth = reference.windows.get(key(r));
        assertEquals(truth.uids.size(), r.uniques(), r.toString());
        assertEquals(truth.frames, r.frames(), r.toString());
        finals++;
      }
      assertFalse(r.status() == ResultRecord.Status.UPDATE, "no updates without late frames: " + r);
    }
    assertEquals(reference.windows.size(), finals);
    assertTrue(engine.records.stream().anyMatch(r -> r.status() == ResultRecord.Status.EARLY));
    // most minutes were final before the end of input, not only at the flush
    long finalBeforeEnd = engine.records.subList(0, engine.records.size() - 12).stream()
        .filter(r -> r.status() == ResultRecord.Status.FINAL).count();
    assertTrue(finalBeforeEnd >= 8, "finals while running: " + finalBeforeEnd);
    latest(engine.records);
  }

  @Test
  void delaysUpToTenMinutesGiveUpdatesAndExactLatestRecords() throws Exception {
    GeneratorOptions o = options(40_000, 20, 2);
    o.delaySec = 600;
    o.delayPercent = 3;
    byte[] data = generate(o);
    ReferenceCounts reference = new ReferenceCounts(ZoneId.of("UTC")).addLines(data);
    EngineHarness engine = EngineHarness.withDefaults(2);
    engine.feed(data, 0, 300 * MS);
    engine.flush();
    assertLatestEqualsReference(latest(engine.records), reference);
    long updates = engine.records.stream().filter(r -> r.status() == ResultRecord.Status.UPDATE).count();
    assertTrue(updates > 10, "updates " + updates);
    assertEquals(0, engine.implausible());
    assertEquals(0, engine.lateDropped());
  }

  @Test
  void bitFlipsNeverOpenWindowsAndNeverChangeTheTrueOnes() throws Exception {
    GeneratorOptions o = options(30_000, 20, 3);
    o.delaySec = 20;
    o.delayPercent = 10;
    o.bitflipProb = 0.01;
    o.bitflipMinBit = 20;
    o.badProb = 0.01;
    o.stringTsProb = 0.1;
    byte[] data = generate(o);
    ReferenceCounts reference = new ReferenceCounts(ZoneId.of("UTC"))
        .range(START - 20, START + 30_000 / 20).addLines(data);
    EngineHarness engine = EngineHarness.withDefaults(2);
    engine.feed(data, 0, 100 * MS);
    engine.flush();
    assertLatestEqualsReference(latest(engine.records), reference);
    for (ResultRecord r : engine.records) {
      assertTrue(reference.windows.containsKey(key(r)), "window outside the true range: " + r);
    }
    // flips to beyond year 9999 are already rejected by the decoder (ts_out_of_range)
    assertTrue(engine.implausible() > 100, "implausible " + engine.implausible());
  }

  @Test
  void bitFlipAmongTheFirstFramesDoesNotSetTheWatermark() throws Exception {
    String lines = "{\"uid\":\"flip\",\"ts\":" + (START + (1L << 33)) + "}\n"
        + "{\"uid\":\"flop\",\"ts\":" + (START - (1L << 25)) + "}\n";
    StringBuilder sb = new StringBuilder(lines);
    for (int i = 0; i < 100; i++) {
      sb.append("{\"uid\":\"u").append(i % 7).append("\",\"ts\":").append(START + i).append("}\n");
    }
    EngineHarness engine = EngineHarness.withDefaults(1);
    engine.feed(sb.toString().getBytes(StandardCharsets.UTF_8), 0, MS);
    engine.flush();
    Map<String, ResultRecord> latest = latest(engine.records);
    assertEquals(7, latest.get("day/2016-07-11T00:00:00Z").uniques());
    assertEquals(100, latest.get("day/2016-07-11T00:00:00Z").frames());
    assertEquals(3, latest.keySet().stream().filter(k -> k.startsWith("minute/")).count());
    assertEquals(2, engine.implausible());
  }

  @Test
  void aGapOfDaysIsFollowedAndNothingAfterItIsLost() throws Exception {
    GeneratorOptions before = options(3000, 10, 4);
    GeneratorOptions after = options(3000, 10, 5);
    after.startSec = START + 5 * 86_400 + 1234;
    ByteArrayOutputStream both = new ByteArrayOutputStream();
    both.write(generate(before));
    both.write(generate(after));
    byte[] data = both.toByteArray();
    ReferenceCounts reference = new ReferenceCounts(ZoneId.of("UTC")).addLines(data);
    EngineHarness engine = EngineHarness.withDefaults(2);
    engine.feed(data, 0, 100 * MS);
    engine.flush();
    assertLatestEqualsReference(latest(engine.records), reference);
    assertEquals(0, engine.implausible());
    assertEquals(0, engine.lateDropped());
  }

  @Test
  void randomThirtyTwoBitTimestampsKeepStateBounded() throws Exception {
    SplittableRandom r = new SplittableRandom(6);
    StringBuilder sb = new StringBuilder();
    int n = 300_000;
    for (int i = 0; i < n; i++) {
      long ts = i % 10 == 0 ? START + i / 100 : r.nextLong(1L << 32);
      sb.append("{\"uid\":\"u").append(r.nextInt(1000)).append("\",\"ts\":").append(ts).append("}\n");
    }
    EngineHarness engine = EngineHarness.withDefaults(2);
    engine.feed(sb.toString().getBytes(StandardCharsets.UTF_8), 0, 10 * MS);
    engine.flush();
    // Unbounded, 270,000 random timestamps would open ~270,000 windows per granularity. Bounded by
    // the horizons: per partition (the input here) at most 6 h of minutes, 2 days of hours, 7 days of
    // days, and a few weeks, months and years (the few random timestamps that are plausible land there).
    assertTrue(engine.maxWindowsHeld <= 361 + 49 + 8 + 2 + 2 + 2, "windows held " + engine.maxWindowsHeld);
    assertTrue(engine.implausible() > n * 0.85, "implausible " + engine.implausible());
    for (ResultRecord rec : engine.records) {
      assertTrue(rec.startSec() >= START - 86_400 * 366 && rec.startSec() <= START + 3_000, rec.toString());
    }
  }

  @Test
  void earlyResultsAtMostOncePerIntervalAndOnlyWhenChanged() {
    EngineHarness live = new EngineHarness(1, 1, EventTimePolicy.defaults(), CounterSpec.exact(), true);
    live.clock.epochSecond = START + 2; // a live stream: ts near the wall clock is believed at once
    live.feedOpen(lines(START, "a", "b"), 0);
    live.tick();
    assertEquals(6, live.records.size(), "one early record per window: " + live.records);
    assertTrue(live.records.stream().allMatch(r -> r.status() == ResultRecord.Status.EARLY && r.revision() == 0 && r.uniques() == 2));
    live.records.clear();
    live.clock.advance(2_000 * MS);
    live.tick();
    assertEquals(List.of(), live.records, "nothing changed");
    live.feedOpen(lines(START + 1, "c"), 0);
    live.clock.advance(400 * MS);
    live.tick();
    assertEquals(6, live.records.size());
    assertTrue(live.records.stream().allMatch(r -> r.revision() == 1 && r.uniques() == 3));
    live.records.clear();
    live.feedOpen(lines(START + 2, "d"), 0);
    live.clock.advance(400 * MS);
    live.tick();
    assertEquals(List.of(), live.records, "changed, but the last record is only 0.4 s old");
    live.clock.advance(700 * MS);
    live.tick();
    assertEquals(6, live.records.size());
    assertTrue(live.records.stream().allMatch(r -> r.revision() == 2 && r.uniques() == 4));
  }

  @Test
  void emitFinalPublishesNoEarlyRecords() throws Exception {
    EngineHarness engine = new EngineHarness(2, 1, EventTimePolicy.defaults(), CounterSpec.exact(), false);
    engine.feed(generate(options(5000, 20, 7)), 0, 200 * MS);
    engine.flush();
    assertTrue(engine.records.stream().noneMatch(r -> r.status() == ResultRecord.Status.EARLY));
    assertFalse(engine.records.isEmpty());
  }

  @Test
  void anIdlePartitionStopsHoldingTheWatermarkBack() {
    EngineHarness engine = new EngineHarness(1, 2, EventTimePolicy.defaults(), CounterSpec.exact(), false);
    engine.clock.epochSecond = START;
    engine.feedOpen(lines(START, "p1"), 1);
    for (int s = 0; s < 200; s += 10) {
      engine.feedOpen(lines(START + s, "p0"), 0);
      engine.clock.advance(1_000 * MS);
      engine.tick();
    }
    assertEquals(List.of(), engine.records, "partition 1 holds the watermark at " + Instant.ofEpochSecond(START));
    engine.clock.advance(11_000 * MS); // 31 s since partition 1 last sent anything
    engine.feedOpen(lines(START + 200, "p0"), 0);
    engine.tick();
    assertTrue(engine.records.stream().anyMatch(r -> r.window().equals("minute") && r.status() == ResultRecord.Status.FINAL),
        engine.records.toString());
  }

  /**
   * Two partitions go quiet at different event times, and the idle timeout passes for both before
   * the next round: the watermark goes to the further of them, as it would have had the one
   * behind gone idle a round earlier. (It stayed at the one behind, so whether the other's last
   * minutes became final before new data depended on the order of rounds.)
   */
  @Test
  void whenTheLastActivePartitionsGoIdleTogetherTheWatermarkIsTheFurthestOfThem() {
    EngineHarness engine = new EngineHarness(1, 2, EventTimePolicy.defaults(), CounterSpec.exact(), false);
    engine.clock.epochSecond = START;
    for (int s = 0; s < 600; s += 10) {
      engine.feedOpen(lines(START + s, "p0"), 0);
      if (s < 120) {
        engine.feedOpen(lines(START + s, "p1"), 1);
      }
    }
    engine.clock.advance(1_000 * MS);
    engine.tick();
    assertTrue(engine.records.stream().noneMatch(r -> r.window().equals("minute") && r.status() == ResultRecord.Status.FINAL
        && r.startSec() >= START + 120), "partition 1 holds the watermark: " + engine.records);
    engine.clock.advance(31_000 * MS); // both quiet past the idle timeout, in the same round
    engine.tick();
    long lastMinute = START + 540 - Math.floorMod(START + 540, 60);
    assertTrue(engine.records.stream().anyMatch(r -> r.window().equals("minute") && r.status() == ResultRecord.Status.FINAL
        && r.startSec() == lastMinute - 60), "the minutes partition 0 reached are final: " + engine.records);
  }

  /**
   * A partition idle for long, far ahead, never moves the watermark: when the one still active
   * (a backfill of older data) pauses past the idle timeout, the watermark stays where that one is.
   */
  @Test
  void aPartitionIdleForLongDoesNotMoveTheWatermarkWhenTheOtherPauses() {
    EngineHarness engine = new EngineHarness(1, 2, EventTimePolicy.defaults(), CounterSpec.exact(), false);
    engine.clock.epochSecond = START;
    for (int i = 0; i < 20; i++) {
      engine.feedOpen(lines(START + 3_000 + i, "ahead" + i), 0); // 50 minutes ahead, then nothing
    }
    engine.feedOpen(lines(START, "p1"), 1);
    engine.tick();
    for (int s = 10; s < 300; s += 10) { // partition 0 goes idle while partition 1 goes on
      engine.clock.advance(2_000 * MS);
      engine.feedOpen(lines(START + s, "p1"), 1);
      engine.tick();
    }
    engine.clock.advance(31_000 * MS); // partition 1 pauses past the idle timeout too
    engine.tick();
    engine.tick();
    assertTrue(engine.records.stream().noneMatch(r -> r.status() == ResultRecord.Status.FINAL && r.endSec() > START + 290),
        "the watermark jumped to the partition idle for long: " + engine.records);
    assertTrue(engine.records.stream().anyMatch(r -> r.window().equals("minute") && r.status() == ResultRecord.Status.FINAL
        && r.startSec() >= START + 120), "it followed partition 1 meanwhile: " + engine.records);
  }

  @Test
  void aFrameBeyondTheMinuteHorizonIsDroppedThereButUpdatesTheHour() {
    EngineHarness engine = new EngineHarness(1, 1, EventTimePolicy.defaults(), CounterSpec.exact(), false);
    engine.clock.epochSecond = START;
    engine.feedOpen(lines(START, "a"), 0);
    engine.tick();
    engine.clock.epochSecond = START + 8 * 3600 + 100;
    for (int i = 0; i < 20; i++) {
      engine.feedOpen(lines(START + 8 * 3600 + i, "b" + i), 0); // eight hours later: a jump, confirmed
    }
    engine.tick();
    engine.records.clear();
    engine.feedOpen(lines(START, "late"), 0);
    engine.clock.advance(2_000 * MS);
    engine.tick();
    assertEquals(1, engine.lateDropped());
    ResultRecord hour = engine.records.stream().filter(r -> r.window().equals("hour")).findFirst().orElseThrow();
    assertEquals(ResultRecord.Status.UPDATE, hour.status());
    assertEquals(2, hour.uniques());
    assertTrue(engine.records.stream().noneMatch(r -> r.window().equals("minute")), engine.records.toString());
  }

  private static byte[] lines(long ts, String... uids) {
    StringBuilder sb = new StringBuilder();
    for (String u : uids) {
      sb.append("{\"uid\":\"").append(u).append("\",\"ts\":").append(ts).append("}\n");
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void framesCountedAfterTheirPartitionEndedAreStillPublished() {
    // Kafka ends a partition from every consumer that saw it; one may still count a batch after
    // another consumer's end batch and after the emitter moved the partition's windows away.
    EngineHarness engine = new EngineHarness(2, 1, EventTimePolicy.defaults(), CounterSpec.exact(), true);
    StringBuilder first = new StringBuilder();
    StringBuilder later = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      first.append("{\"uid\":\"a").append(i).append("\",\"ts\":").append(START + i).append("}\n");
      later.append("{\"uid\":\"b").append(i).append("\",\"ts\":").append(START + i).append("}\n");
    }
    engine.feedChunk(first.toString().getBytes(StandardCharsets.UTF_8), 0, true);
    engine.tick();
    assertTrue(engine.partitions.get(0).finished());
    assertEquals(0, engine.partitions.get(0).windows().windowCount(), "moved to the retired windows");
    engine.feedChunk(later.toString().getBytes(StandardCharsets.UTF_8), 0, false);
    engine.tick();
    engine.flush();
    ResultRecord year = latest(engine.records).get("year/2016-01-01T00:00:00Z");
    assertEquals(80, year.frames());
    assertEquals(80, year.uniques());
  }

  @Test
  void whatCountsFollowsFromTheDataNotFromWhenTheEmitterRuns() throws Exception {
    // Three blocks in one input: a day, the next day, then back to the first day (a day late:
    // beyond the minute horizon of 6 h, within the hour horizon of 2 days).
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (long start : new long[] {START, START + 86_400, START + 300}) {
      GeneratorOptions o = options(3_000, 20, start);
      o.startSec = start;
      all.write(generate(o));
    }
    byte[] data = all.toByteArray();
    Map<String, String> expected = null;
    long expectedDropped = -1;
    for (int chunksPerTick : new int[] {0, 1, 3, 50}) {
      for (int workers : new int[] {1, 3}) {
        EngineHarness engine = EngineHarness.withDefaults(workers);
        engine.feed(data, 0, 10 * MS, chunksPerTick);
        engine.flush();
        Map<String, String> values = new TreeMap<>();
        latest(engine.records).forEach((k, r) -> values.put(k, r.uniques() + "/" + r.frames()));
        String run = "ticks every " + chunksPerTick + " chunks, " + workers + " workers";
        if (expected == null) {
          expected = values;
          expectedDropped = engine.lateDropped();
        } else {
          assertEquals(expected, values, run);
          assertEquals(expectedDropped, engine.lateDropped(), run);
        }
      }
    }
    assertEquals(3_000, expectedDropped, "the third block's frames are beyond its minutes' horizon, whenever the emitter ran");
  }

  @Test
  void aBurstFromOneWrongClockIsDroppedNotTheTimelineAfterIt() throws Exception {
    GeneratorOptions o = options(15_000, 50, 31);
    o.delaySec = 3;
    o.delayPercent = 5;
    byte[] good = generate(o);
    int middle = 0;
    for (int i = 0, lines = 0; i < good.length; i++) {
      if (good[i] == '\n' && ++lines == 7_500) {
        middle = i + 1;
        break;
      }
    }
    for (int burst : new int[] {16, 100, 250}) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < burst; i++) {
        sb.append("{\"uid\":\"wrong").append(i % 50).append("\",\"ts\":").append(START + 12 * 86_400 + i / 10).append("}\n");
      }
      ByteArrayOutputStream data = new ByteArrayOutputStream();
      data.write(good, 0, middle);
      data.write(sb.toString().getBytes(StandardCharsets.UTF_8));
      data.write(good, middle, good.length - middle);
      EngineHarness engine = EngineHarness.withDefaults(2);
      engine.feed(data.toByteArray(), 0, 10 * MS);
      engine.flush();
      assertLatestEqualsReference(latest(engine.records), new ReferenceCounts(ZoneId.of("UTC")).addLines(good));
      assertEquals(burst, engine.implausible(), "burst of " + burst);
    }
  }

  @Test
  void aWindowPublishedFinalIsNeverEarlyAgain() {
    // --exit-on-idle flushes every window as final; a resumed run (or more data) may add frames
    // to one whose end the watermark has not passed: they come as updates, never as early.
    EngineHarness engine = new EngineHarness(1, 1, EventTimePolicy.defaults(), CounterSpec.exact(), true);
    engine.clock.epochSecond = START; // live: the wall clock vouches for the first frame
    engine.feedOpen(lines(START, "a", "b"), 0);
    engine.tick();
    engine.flush();
    assertTrue(engine.records.stream().anyMatch(r -> r.status() == ResultRecord.Status.FINAL));
    engine.feedOpen(lines(START + 1, "c"), 0);
    engine.clock.advance(2_000 * MS);
    engine.tick();
    Map<String, ResultRecord> latest = latest(engine.records);
    ResultRecord minute = latest.get("minute/2016-07-11T13:39:00Z");
    assertEquals(ResultRecord.Status.UPDATE, minute.status(), engine.records.toString());
    assertEquals(3, minute.uniques());
    assertTrue(latest.values().stream().noneMatch(r -> r.status() == ResultRecord.Status.EARLY), latest.toString());
  }

  /** One frame every {@code stepSec} from {@code fromSec} to before {@code toSec}, users cycling through {@code users}. */
  private static void sparse(StringBuilder sb, long fromSec, long toSec, long stepSec, int users) {
    int i = 0;
    for (long ts = fromSec; ts < toSec; ts += stepSec, i++) {
      sb.append("{\"uid\":\"s").append(i % users).append("\",\"ts\":").append(ts).append("}\n");
    }
  }

  @Test
  void aGapInSparseHistoryIsFollowedWithNothingLost() throws Exception {
    // 100 frames an hour, then two hours without data, then more: each later hour is still one
    // timeline, not a cluster of its own evicted by the next
    StringBuilder sb = new StringBuilder();
    sparse(sb, START, START + 5 * 3600, 36, 40);
    sparse(sb, START + 7 * 3600, START + 14 * 3600, 36, 40);
    byte[] data = sb.toString().getBytes(StandardCharsets.UTF_8);
    EngineHarness engine = EngineHarness.withDefaults(2);
    engine.feed(data, 0, 10 * MS);
    engine.flush();
    assertEquals(0, engine.implausible());
    assertLatestEqualsReference(latest(engine.records), new ReferenceCounts(ZoneId.of("UTC")).addLines(data));
  }

  @Test
  void aBurstAtTheEndOfAFileDoesNotTakeTheNextFileWithIt() throws Exception {
    GeneratorOptions first = options(3_000, 20, 41);
    GeneratorOptions second = options(3_000, 20, 42);
    second.startSec = START + 3_000 / 20;
    byte[] good1 = generate(first);
    byte[] good2 = generate(second);
    StringBuilder burst = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      burst.append("{\"uid\":\"wrong").append(i).append("\",\"ts\":").append(START + 12 * 86_400 + i).append("}\n");
    }
    ByteArrayOutputStream file1 = new ByteArrayOutputStream();
    file1.write(good1);
    file1.write(burst.toString().getBytes(StandardCharsets.UTF_8));
    EngineHarness engine = new EngineHarness(2, 2, EventTimePolicy.defaults(), CounterSpec.exact(), true).asOneHistory();
    engine.feed(file1.toByteArray(), 0, 10 * MS);
    engine.feed(good2, 1, 10 * MS);
    engine.flush();
    ByteArrayOutputStream both = new ByteArrayOutputStream();
    both.write(good1);
    both.write(good2);
    assertLatestEqualsReference(latest(engine.records), new ReferenceCounts(ZoneId.of("UTC")).addLines(both.toByteArray()));
    assertEquals(20, engine.implausible());
  }

  @Test
  void aJumpLongerThanAWindowsHorizonLosesNoneOfItsFirstFrames() throws Exception {
    Map<Granularity, Long> horizons = new java.util.EnumMap<>(Granularity.class);
    horizons.put(Granularity.MINUTE, 120L); // shorter than the 9 minutes the confirming frames span
    EventTimePolicy policy = new EventTimePolicy(5, horizons, 3600, 16, 30_000_000_000L,
        java.util.EnumSet.allOf(Granularity.class));
    StringBuilder sb = new StringBuilder();
    sparse(sb, START, START + 1800, 2, 50);
    sparse(sb, START + 86_400, START + 86_400 + 2400, 2, 50); // a day later, 40 minutes of frames
    byte[] data = sb.toString().getBytes(StandardCharsets.UTF_8);
    EngineHarness engine = new EngineHarness(1, 1, policy, CounterSpec.exact(), false);
    engine.feed(data, 0, 10 * MS);
    engine.flush();
    assertEquals(0, engine.lateDropped());
    assertLatestEqualsReference(latest(engine.records), new ReferenceCounts(ZoneId.of("UTC")).addLines(data));
  }
}
