package uniqcount.window;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import uniqcount.count.CounterSpec;
import uniqcount.emit.Emitter;
import uniqcount.emit.ResultRecord;

/** How rolling windows are tiled, and that holding windows for them never changes which frames count. */
class RollingTest {

  /**
   * Every rolling window, at every minute boundary of days with DST changes in zones with odd
   * offsets and half-hour shifts, is tiled by calendar windows (java.time's local truncation as
   * the reference for minute and hour starts) that follow each other without gap or overlap
   * from its start to its end; its start is end − D wherever the zone has such a boundary.
   */
  @Test
  void tilesAreContiguousCalendarWindowsAcrossDstChanges() {
    long[] durations = {60, 1800, 3600, 5400, 86_340, 86_400, 2 * 86_400, 7 * 86_400, 31 * 86_400L};
    String[][] cases = {{"Europe/Zurich", "2016-10-29T12:00:00Z"}, {"Australia/Lord_Howe", "2023-04-01T12:00:00Z"},
        {"Asia/Kathmandu", "1985-12-31T12:00:00Z"}, {"America/St_Johns", "2023-11-04T12:00:00Z"}};
    int windows = 0;
    for (String[] c : cases) {
      ZoneId zone = ZoneId.of(c[0]);
      ZoneCalendar calendar = new ZoneCalendar(zone);
      long from = Instant.parse(c[1]).getEpochSecond();
      for (long w = calendar.startOf(Granularity.MINUTE, from); w < from + 86_400; w = calendar.endOf(Granularity.MINUTE, w)) {
        for (long d : durations) {
          if (!Rolling.publishesAt(calendar, d, w)) {
            continue;
          }
          long start = Rolling.startOf(calendar, d, w);
          boolean shifts = c[0].equals("Australia/Lord_Howe") || c[0].equals("Asia/Kathmandu");
          if (!shifts || d <= 86_400) { // a 30- or 15-minute shift moves hour boundaries off the hour
            assertEquals(w - d, start, c[0] + " " + Instant.ofEpochSecond(w) + " " + d);
          }
          for (boolean days : new boolean[] {true, false}) {
            long[] at = {start};
            final long end = w;
            Rolling.tiles(calendar, days, start, w, (g, s) -> {
              assertEquals(at[0], s, "contiguous: " + c[0] + " " + Instant.ofEpochSecond(end) + " " + d);
              ZonedDateTime local = Instant.ofEpochSecond(s).atZone(zone);
              if (shifts) { // windows are cut at the shift
                assertEquals(s, calendar.startOf(g, s), "a calendar window");
              } else if (g == Granularity.MINUTE) {
                assertEquals(0, local.getSecond(), "a minute starts on a local minute");
              } else if (g == Granularity.HOUR) {
                assertEquals(0, local.getMinute() * 60 + local.getSecond(), "an hour starts on a local hour");
              } else {
                assertEquals(0, local.toLocalTime().toSecondOfDay(), "a day starts at local midnight");
              }
              at[0] = calendar.endOf(g, s);
              assertTrue(at[0] <= end, "inside the window");
            });
            assertEquals(w, at[0], "covers up to its end");
          }
          windows++;
        }
      }
    }
    assertTrue(windows > 4 * 1440 * 5, "windows tiled: " + windows);
  }

  /** The granularities of the emitter tests below. */
  private final EnumSet<Granularity> granularities = EnumSet.of(Granularity.MINUTE, Granularity.HOUR);

  /** Minutes and hours, lateness 5 s, minutes corrected for 10 minutes after (a short horizon to pass). */
  private EventTimePolicy minutesAndHours() {
    Map<Granularity, Long> horizons = new EnumMap<>(Granularity.class);
    horizons.put(Granularity.MINUTE, 600L);
    return new EventTimePolicy(5, horizons, 3600, 16, 30_000_000_000L, granularities);
  }

  /** A clock standing still at {@code epochSecond}. */
  private static Clock standingAt(long epochSecond) {
    return new Clock() {
      @Override
      public long nanoTime() {
        return 0;
      }

      @Override
      public long epochSecond() {
        return epochSecond;
      }
    };
  }

  /** One contributor's windows with frames every minute, to a watermark. */
  private static final class Source implements Contributor {
    final Windows windows;
    long watermarkSec;
    boolean holds = true;

    Source(Windows windows) {
      this.windows = windows;
    }

    @Override
    public Windows windows() {
      return windows;
    }

    @Override
    public long watermarkSec() {
      return watermarkSec;
    }

    @Override
    public boolean holdsWatermark(long nowNanos, long idleTimeoutNanos) {
      return holds;
    }

    @Override
    public boolean finished() {
      return false;
    }
  }

  /**
   * A partition that went idle (so the global watermark left it behind) and comes back with a
   * frame for a minute past its global horizon: refused (late-dropped) whether or not rolling
   * windows keep that minute held — it was refused when the minute was released at its horizon.
   */
  @Test
  void aWindowHeldForRollingWindowsIsSealedAtItsHorizon() {
    for (boolean rolled : new boolean[] {false, true}) {
      EventTimePolicy policy = minutesAndHours();
      Rolling rolling = Rolling.of(List.of(Duration.ofHours(1)));
      if (rolled) {
        policy = policy.withRetention(rolling.retention());
      }
      ZoneCalendar calendar = new ZoneCalendar(ZoneId.of("UTC"));
      CounterSpec spec = CounterSpec.exact();
      Source a = new Source(new Windows(granularities, calendar, spec, policy));
      Source b = new Source(new Windows(granularities, calendar, spec, policy));
      long t = 1_600_002_000L; // a whole hour
      FrameBuffer fa = new FrameBuffer(200);
      for (long s = t; s < t + 7200; s += 60) {
        fa.add(s, s, s);
      }
      a.windows.count(fa);
      FrameBuffer fb = new FrameBuffer(200);
      for (long s = t; s < t + 5000; s += 60) {
        fb.add(s, 7 + s, s);
      }
      b.windows.count(fb);
      a.watermarkSec = t + 7200;
      b.watermarkSec = t + 4980;
      b.holds = false; // idle: the global watermark goes on without it
      List<Source> sources = List.of(a, b);
      Emitter emitter = new Emitter(() -> sources, () -> true, new Windows(granularities, calendar, spec, policy), policy,
          spec, standingAt(t + 7200), false, 1);
      if (rolled) {
        emitter.withRolling(rolling, calendar, false);
      }
      List<ResultRecord> published = new ArrayList<>(emitter.tick());
      // b is back, its own watermark 30 minutes behind: a frame for a minute past the global horizon
      FrameBuffer late = new FrameBuffer(1);
      late.add(t + 5400, 999, t + 5400);
      assertEquals(1, b.windows.count(late), (rolled ? "with" : "without") + " rolling windows: late-dropped");
      b.holds = true;
      b.watermarkSec = t + 7200;
      published.addAll(emitter.tick());
      published.removeIf(r -> !r.window().equals("minute") || r.startSec() != t + 5400);
      assertEquals(1, published.size(), "its minute's final only: " + published);
      assertEquals(1, published.get(0).uniques(), "without the late frame's uid");
    }
  }

  /**
   * The merge over Kafka partitions knows a partition's windows only once it reported. Rolling
   * windows start at the end of the first minute with frames of every partition, not of those
   * that reported first: on a loaded machine the first round saw only the partition whose frames
   * began a minute later, and the first rolling windows never went out (KafkaCountTest found 240
   * of 242).
   */
  @Test
  void rollingWindowsStartAtTheFirstMinuteOfEveryPartitionNotOfTheFirstToReport() {
    Rolling rolling = Rolling.of(List.of(Duration.ofMinutes(10)));
    EventTimePolicy policy = minutesAndHours().withRetention(rolling.retention());
    ZoneCalendar calendar = new ZoneCalendar(ZoneId.of("UTC"));
    CounterSpec spec = CounterSpec.exact();
    long t = 1_600_002_000L; // a whole hour
    Source early = new Source(new Windows(granularities, calendar, spec, policy));
    Source late = new Source(new Windows(granularities, calendar, spec, policy));
    FrameBuffer f = new FrameBuffer(200);
    for (long s = t + 60; s < t + 1200; s += 10) {
      f.add(s, s, s);
    }
    late.windows.count(f); // its frames begin a minute after the other partition's
    late.watermarkSec = t + 1200;
    List<Source> known = new ArrayList<>(List.of(late));
    boolean[] complete = {false};
    Emitter emitter = new Emitter(() -> known, () -> complete[0], new Windows(granularities, calendar, spec, policy),
        policy, spec, standingAt(t + 1200), false, 1).withRolling(rolling, calendar, false);
    List<ResultRecord> published = new ArrayList<>(emitter.tick()); // one partition has not reported yet

    FrameBuffer g = new FrameBuffer(200);
    for (long s = t; s < t + 1200; s += 10) {
      g.add(s, 100_000 + s, s);
    }
    early.windows.count(g);
    early.watermarkSec = t + 1200;
    known.add(early);
    complete[0] = true;
    for (int i = 0; i < 5; i++) {
      published.addAll(emitter.tick());
    }
    List<Long> ends = new ArrayList<>();
    for (ResultRecord r : published) {
      if (r.window().equals("rolling-10m")) {
        ends.add(r.endSec());
      }
    }
    assertTrue(!ends.isEmpty(), "rolling windows published: " + published);
    assertEquals(t + 60, ends.get(0), "from the end of the first minute with frames: " + ends);
    for (int i = 1; i < ends.size(); i++) {
      assertEquals(ends.get(i - 1) + 60, ends.get(i), "one per minute: " + ends);
    }
  }
}
