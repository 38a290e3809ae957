package uniqcount.emit;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import uniqcount.count.CounterSpec;
import uniqcount.count.DistinctCounter;
import uniqcount.window.Granularity;
import uniqcount.window.Rolling;
import uniqcount.window.Windows;
import uniqcount.window.ZoneCalendar;

/**
 * The rolling windows of the merge step ({@link Emitter#withRolling}): for each minute boundary W
 * the watermark passed, and each duration D, the union of the calendar windows that tile
 * [start, W).
 *
 * <p>A rolling window is three parts: the minutes before its first whole hour, the whole hours and
 * days in the middle, and the minutes after its last whole hour. Consecutive windows share their
 * middle, so each duration keeps its middle's union and reuses it while its tiles are unchanged;
 * each tile is copied from the contributors once and kept while it holds the same frames (a
 * counter only changes with its frames). For {@code hll} the minute edges are kept as unions too:
 * the suffixes of the hour before the first whole hour, and the growing prefix of the last one.
 * So a window costs a copy of its middle and two merges (up to 118 minute merges for {@code
 * exact}), whatever D — not one merge per hour of D.
 */
final class RollingPublisher {
  /** Minute boundaries per pass: bounds the tiles copied at once. */
  private static final int SLICE = 60;
  /** Minute boundaries a round publishes (see {@link #paceLimit}). */
  static final int PER_CALL = 240;

  private final long[] durations;
  private final ZoneCalendar calendar;
  private final boolean days;
  private final CounterSpec spec;
  /** Merged copies of the tiles in use, with the frames they held. */
  private final Map<Granularity, Map<Long, Tile>> tiles = new EnumMap<>(Granularity.class);
  /** Per duration, its last middle's union. */
  private final Map<Long, Middle> middles = new HashMap<>();
  /**
   * Whether the minute edges are kept as unions per hour: for {@code hll}, whose counters are at
   * most 2^P bytes; an exact set of an hour's users kept 60 times over would not be.
   */
  private final boolean cacheEdges;
  /** The minutes after the last whole hour: their union, from {@link #prefixHour} to {@link #prefixEnd}. */
  private DistinctCounter prefix;
  private long prefixHour = Long.MIN_VALUE;
  private long prefixEnd = Long.MIN_VALUE;
  private long prefixFrames;
  /** The minutes before the first whole hour: suffix unions, by the hour's end. */
  private final Map<Long, Suffixes> suffixes = new HashMap<>();
  /** Per duration, whether its last window was empty (and the next empty one is not published). */
  private final Map<Long, Boolean> empty = new HashMap<>();
  /** The end of the last windows published (a minute boundary), or {@link Long#MIN_VALUE}. */
  private long endSec = Long.MIN_VALUE;

  RollingPublisher(Rolling rolling, ZoneCalendar calendar, boolean days, CounterSpec spec) {
    this.durations = rolling.durationsSec();
    this.calendar = calendar;
    this.days = days;
    this.spec = spec;
    this.cacheEdges = spec.kind() == CounterSpec.Kind.HLL;
  }

  /** After a restart: the windows up to this minute boundary were published. */
  void publishedThrough(long endSec) {
    this.endSec = endSec;
  }

  /** From the end of the first minute with frames, for a fresh job (not restored) once there is one. */
  void start(Consumer<Windows.WindowVisitor> windows) {
    if (endSec == Long.MIN_VALUE) {
      long first = firstMinute(windows, Long.MIN_VALUE);
      if (first != Long.MAX_VALUE) {
        endSec = first;
      }
    }
  }

  /**
   * How far the watermark (less lateness) may run ahead of the rolling windows published, or
   * {@link Long#MIN_VALUE} before the first: {@value #PER_CALL} minutes, so that one round
   * publishes a bounded number of records and releases no window they still need.
   */
  long paceLimit() {
    return endSec == Long.MIN_VALUE ? Long.MIN_VALUE : endSec + PER_CALL * 60L;
  }

  /**
   * The windows whose end is at most {@code limit}, not published yet, up to 2 × {@value
   * #PER_CALL} minute boundaries per call (call again for the rest). A stretch without frames
   * costs one record per duration: once every duration's last window was empty and nothing held
   * can reach a later one, it goes on at the next minute with frames.
   *
   * @param windows visits every window held by the contributors
   * @param sketchOf a record's sketch, or null for none
   */
  List<ResultRecord> publish(long limit, Consumer<Windows.WindowVisitor> windows,
      Function<DistinctCounter, String> sketchOf) {
    List<ResultRecord> out = new ArrayList<>();
    start(windows);
    if (endSec == Long.MIN_VALUE) {
      return out;
    }
    List<Long> ends = new ArrayList<>();
    int boundaries = 0;
    long w = endSec;
    // 2 x PER_CALL boundaries or a little more, and more while they gave no record (windows still
    // empty, or none of the hourly ones due): an empty answer means published up to the limit
    while (true) {
      if (ends.isEmpty() && quiet(windows, w)) {
        long next = firstMinute(windows, w);
        if (next == Long.MAX_VALUE || next >= limit) { // nothing to publish up to the limit
          endSec = Math.max(endSec, calendar.startOf(Granularity.MINUTE, limit));
          break;
        }
        w = Math.max(w, next);
      }
      w = calendar.endOf(Granularity.MINUTE, w);
      if (w > limit) {
        break;
      }
      ends.add(w);
      boundaries++;
      if (ends.size() == SLICE) {
        publish(ends, windows, sketchOf, out);
        ends.clear();
        if (boundaries >= 2 * PER_CALL && !out.isEmpty()) {
          break;
        }
      }
    }
    if (!ends.isEmpty()) {
      publish(ends, windows, sketchOf, out);
    }
    return out;
  }

  /** The start of the first minute window held that starts at or after {@code from}, or {@link Long#MAX_VALUE}. */
  private static long firstMinute(Consumer<Windows.WindowVisitor> windows, long from) {
    long[] first = {Long.MAX_VALUE};
    windows.accept(x -> {
      if (x.granularity() == Granularity.MINUTE && x.startSec() >= from) {
        first[0] = Math.min(first[0], x.startSec());
      }
    });
    return first[0];
  }

  /**
   * Whether every duration's last window was empty and no window held before {@code w} can reach
   * a window ending after it: the windows up to the next minute with frames are all empty.
   */
  private boolean quiet(Consumer<Windows.WindowVisitor> windows, long w) {
    for (long d : durations) {
      if (!empty.getOrDefault(d, false)) {
        return false;
      }
    }
    long reach = w - durations[durations.length - 1] - 3600; // the earliest start a later window may have
    boolean[] held = {false};
    windows.accept(x -> {
      boolean tile = x.granularity() == Granularity.MINUTE || x.granularity() == Granularity.HOUR
          || days && x.granularity() == Granularity.DAY; // a week, month or year window tiles nothing
      if (tile && x.frames() > 0 && x.endSec() > reach && x.startSec() < w) {
        held[0] = true;
      }
    });
    return !held[0];
  }

  /** One rolling window due: its duration, end, start, and middle ({@link #middle}, or null). */
  private record Due(long duration, long end, long start, long[] middle) {}

  /** The windows ending at these minute boundaries, in order: every duration that publishes there. */
  private List<Due> due(List<Long> ends) {
    List<Due> list = new ArrayList<>();
    for (long w : ends) {
      for (long d : durations) {
        if (Rolling.publishesAt(calendar, d, w)) {
          long start = Rolling.startOf(calendar, d, w);
          list.add(new Due(d, w, start, middle(start, w)));
        }
      }
    }
    return list;
  }

  private void publish(List<Long> ends, Consumer<Windows.WindowVisitor> windows,
      Function<DistinctCounter, String> sketchOf, List<ResultRecord> out) {
    List<Due> due = due(ends);
    refresh(due, windows);
    for (Due x : due) {
      long d = x.duration();
      long w = x.end();
      long start = x.start();
      long[] middle = x.middle();
      DistinctCounter union;
      long[] frames = {0};
      if (middle == null) {
        union = spec.newCounter();
      } else {
        Middle m = middleUnion(d, middle[0], middle[1]);
        union = m.counter.copy();
        frames[0] = m.frames;
      }
      DistinctCounter[] u = {union};
      long h1 = firstHour(start);
      long h2 = calendar.startOf(Granularity.HOUR, w);
      if (cacheEdges && h1 <= h2) {
        // the minutes before the first whole hour end an hour, those after the last begin one:
        // unions kept per hour, so a window costs two merges here, not one per minute
        for (Edge e : new Edge[] {start < h1 ? suffix(start, h1) : null, h2 < w ? prefix(h2, w) : null}) {
          if (e != null && e.counter != null) {
            u[0] = u[0].merge(e.counter);
            frames[0] += e.frames;
          }
        }
      } else {
        edges(start, w, middle, (g, s) -> {
          Tile t = tiles.get(g).get(s);
          if (t.counter != null) {
            u[0] = u[0].merge(t.counter);
            frames[0] += t.frames;
          }
        });
      }
      DistinctCounter c = u[0];
      if (frames[0] == 0 && empty.getOrDefault(d, false)) {
        continue; // still empty: said once
      }
      empty.put(d, frames[0] == 0);
      out.add(new ResultRecord(Rolling.label(d), start, w, c.estimate(), frames[0], ResultRecord.Status.FINAL, 0,
          spec.kind().label(), c.relativeStandardError(), sketchOf.apply(c)));
    }
    endSec = ends.get(ends.size() - 1);
    prune(endSec);
  }

  /** Visits the tiles of [start, end) outside its middle (all of them when it has none). */
  private void edges(long start, long end, long[] middle, Rolling.TileVisitor visitor) {
    if (middle == null) {
      Rolling.tiles(calendar, days, start, end, visitor);
    } else {
      Rolling.tiles(calendar, days, start, middle[0], visitor);
      Rolling.tiles(calendar, days, middle[1], end, visitor);
    }
  }

  /** The first hour boundary at or after {@code t}. */
  private long firstHour(long t) {
    long h = calendar.startOf(Granularity.HOUR, t);
    return h == t ? t : calendar.endOf(Granularity.HOUR, h);
  }

  /** The union of the minutes [hour, end), extended minute by minute while its minutes keep their frames. */
  private Edge prefix(long hour, long end) {
    if (prefixHour != hour || prefixEnd > end || framesOf(hour, prefixEnd) != prefixFrames) {
      prefixHour = hour;
      prefixEnd = hour;
      prefix = null;
      prefixFrames = 0;
    }
    for (long m = prefixEnd; m < end; m = calendar.endOf(Granularity.MINUTE, m)) {
      Tile t = tiles.get(Granularity.MINUTE).get(m);
      if (t.counter != null) {
        prefix = prefix == null ? t.counter.copy() : prefix.merge(t.counter);
        prefixFrames += t.frames;
      }
    }
    prefixEnd = end;
    return new Edge(prefix, prefixFrames);
  }

  /**
   * The union of the minutes [start, hourEnd): every suffix of that hour from {@code start} on is
   * built once (each a copy of the next one and a merge) and kept while its minutes keep their frames.
   */
  private Edge suffix(long start, long hourEnd) {
    Suffixes x = suffixes.get(hourEnd);
    boolean valid = x != null && x.unions.containsKey(start);
    for (long m = start; valid && m < hourEnd; m = calendar.endOf(Granularity.MINUTE, m)) {
      valid = tiles.get(Granularity.MINUTE).get(m).frames == x.minuteFrames.get(m);
    }
    if (!valid) {
      x = new Suffixes();
      List<Long> minutes = new ArrayList<>();
      for (long m = start; m < hourEnd; m = calendar.endOf(Granularity.MINUTE, m)) {
        minutes.add(m);
      }
      DistinctCounter acc = null;
      long frames = 0;
      for (int i = minutes.size() - 1; i >= 0; i--) {
        long m = minutes.get(i);
        Tile t = tiles.get(Granularity.MINUTE).get(m);
        if (t.counter != null) {
          acc = acc == null ? t.counter.copy() : acc.copy().merge(t.counter);
          frames += t.frames;
        }
        x.minuteFrames.put(m, t.frames);
        x.unions.put(m, new Edge(acc, frames));
      }
      suffixes.put(hourEnd, x);
    }
    return x.unions.get(start);
  }

  /** Frames of the minute tiles [from, to). */
  private long framesOf(long from, long to) {
    long frames = 0;
    for (long m = from; m < to; m = calendar.endOf(Granularity.MINUTE, m)) {
      frames += tiles.get(Granularity.MINUTE).get(m).frames;
    }
    return frames;
  }

  /** [first whole hour, last whole hour) of [start, end), or null when it holds no whole hour. */
  private long[] middle(long start, long end) {
    long h1 = calendar.startOf(Granularity.HOUR, start);
    if (h1 != start) {
      h1 = calendar.endOf(Granularity.HOUR, h1);
    }
    long h2 = calendar.startOf(Granularity.HOUR, end);
    return h1 < h2 ? new long[] {h1, h2} : null;
  }

  private Middle middleUnion(long d, long from, long to) {
    long[] frames = {0};
    Rolling.tiles(calendar, days, from, to, (g, s) -> frames[0] += tiles.get(g).get(s).frames);
    Middle m = middles.get(d);
    if (m != null && m.from == from && m.to == to && m.frames == frames[0]) {
      return m; // its tiles hold the frames they held: the same union
    }
    DistinctCounter[] u = {spec.newCounter()};
    Rolling.tiles(calendar, days, from, to, (g, s) -> {
      Tile t = tiles.get(g).get(s);
      if (t.counter != null) {
        u[0] = u[0].merge(t.counter);
      }
    });
    m = new Middle(from, to, frames[0], u[0]);
    middles.put(d, m);
    return m;
  }

  /** Makes every tile these windows need a copy of what the contributors hold now. */
  private void refresh(List<Due> due, Consumer<Windows.WindowVisitor> windows) {
    Map<Granularity, Map<Long, long[]>> now = new EnumMap<>(Granularity.class);
    Rolling.TileVisitor need = (g, s) -> now.computeIfAbsent(g, x -> new HashMap<>()).putIfAbsent(s, new long[1]);
    for (Due x : due) {
      edges(x.start(), x.end(), x.middle(), need);
      if (x.middle() != null) {
        Rolling.tiles(calendar, days, x.middle()[0], x.middle()[1], need);
      }
    }
    // frames per tile now: a tile held with the same frames holds the same uids
    windows.accept(w -> {
      Map<Long, long[]> m = now.get(w.granularity());
      long[] f = m == null ? null : m.get(w.startSec());
      if (f != null) {
        f[0] += w.frames();
      }
    });
    Map<Granularity, Map<Long, Tile>> stale = new EnumMap<>(Granularity.class);
    now.forEach((g, m) -> m.forEach((s, f) -> {
      Tile t = tiles.computeIfAbsent(g, x -> new HashMap<>()).get(s);
      if (t == null || t.frames != f[0]) {
        Tile fresh = new Tile();
        tiles.get(g).put(s, fresh);
        if (f[0] > 0) {
          stale.computeIfAbsent(g, x -> new HashMap<>()).put(s, fresh);
        }
      }
    }));
    if (stale.isEmpty()) {
      return;
    }
    windows.accept(w -> {
      Map<Long, Tile> m = stale.get(w.granularity());
      Tile t = m == null ? null : m.get(w.startSec());
      if (t != null) {
        t.counter = t.counter == null ? w.counter().copy() : t.counter.merge(w.counter());
        t.frames += w.frames();
      }
    });
  }

  /** Forgets the tiles before every later window's start. */
  private void prune(long lastEnd) {
    // a tile starts at or after the start of the window it tiles; minutes tile only windows of up
    // to a day (longer ones are whole hours), so they go by the earliest start of those
    long keepFrom = Long.MAX_VALUE;
    long keepMinutesFrom = lastEnd;
    java.util.Set<Long> oldEdges = new java.util.HashSet<>(); // the hours whose suffixes are in use
    for (long d : durations) {
      long start = Rolling.startOf(calendar, d, lastEnd);
      keepFrom = Math.min(keepFrom, start);
      if (d <= 86_400) {
        keepMinutesFrom = Math.min(keepMinutesFrom, calendar.startOf(Granularity.HOUR, start));
        oldEdges.add(firstHour(start));
        oldEdges.add(firstHour(calendar.endOf(Granularity.MINUTE, start))); // the next window's, at an hour's end
      }
    }
    // a suffix kept for a later duration's reuse a day on would hold up to 60 counters per hour between
    suffixes.keySet().retainAll(oldEdges);
    // minutes are tiles of the edges only: the hours of the old edges and the last two hours
    long recent = calendar.startOf(Granularity.HOUR, lastEnd) - 3600;
    tiles.getOrDefault(Granularity.MINUTE, new HashMap<>()).keySet().removeIf(start -> {
      if (start >= recent) {
        return false;
      }
      long hourEnd = firstHour(calendar.endOf(Granularity.MINUTE, start));
      return !oldEdges.contains(hourEnd) && !oldEdges.contains(calendar.endOf(Granularity.HOUR, hourEnd));
    });
    for (Map.Entry<Granularity, Map<Long, Tile>> e : tiles.entrySet()) {
      long from = e.getKey() == Granularity.MINUTE ? keepMinutesFrom : keepFrom;
      e.getValue().keySet().removeIf(start -> start < from);
    }
  }

  /** The union of some minutes (null: none had frames) and their frames. */
  private record Edge(DistinctCounter counter, long frames) {}

  /** The suffix unions of one hour's minutes, by first minute, and the frames each minute had. */
  private static final class Suffixes {
    final Map<Long, Edge> unions = new HashMap<>();
    final Map<Long, Long> minuteFrames = new HashMap<>();
  }

  /** A calendar window that tiles rolling windows: its counter merged over the contributors. */
  private static final class Tile {
    DistinctCounter counter;
    long frames;
  }

  /** The union of the whole hours and days of a rolling window. */
  private record Middle(long from, long to, long frames, DistinctCounter counter) {}
}
