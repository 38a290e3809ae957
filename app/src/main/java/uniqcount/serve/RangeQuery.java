package uniqcount.serve;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;
import uniqcount.count.SketchMemory;

/**
 * Distinct users in any minute-aligned range {@code [from, to)} from the published windows: the
 * fewest windows that tile the range exactly — at each step the longest year, month, day, hour or
 * minute window that starts where the range stands and ends inside it — and the union of their
 * sketches ({@code count --emit-sketch}). Weeks are not used (they do not tile months). A range
 * that one window covers needs no sketch. The answer:
 *
 * <pre>{"uniques":N,"rse":0.0081,"from":"…","to":"…","complete":true,"windows":["day/…","hour/…",…]}</pre>
 *
 * {@code rse} is DataSketches' one-standard-deviation bound of the union (0 while the union is
 * still a set of coupons), or the one window's own. {@code complete} is false when a window used
 * is still open ({@code early}): the count so far. Inside the span a window kind is held over, a
 * window without a record had no frames and adds nothing.
 */
public final class RangeQuery {
  /** The window kinds that tile a range, longest first. */
  static final String[] TILES = {"year", "month", "day", "hour", "minute"};

  private RangeQuery() {}

  /** A range that cannot be answered: the message says why and which range could be. */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The windows that tile a range, chosen under the store's lock; {@link #answer(Plan)} unions
   * their sketches outside it.
   */
  record Plan(long from, long to, List<WindowResult> windows) {}

  /**
   * Answers a range from the latest record of every window held.
   *
   * @param byKind per window kind, the latest record of each window by start
   * @param fromText the range's start, an ISO-8601 instant
   * @param toText the range's end (exclusive)
   * @param nowSec the wall clock: a range ending after it is refused
   * @return the answer as one JSON object
   * @throws Refused when the range is malformed, reversed, in the future, or not held
   */
  static String answer(Map<String, ? extends NavigableMap<Long, WindowResult>> byKind, String fromText, String toText,
      long nowSec) throws Refused {
    return answer(plan(byKind, fromText, toText, nowSec));
  }

  /** Chooses the windows that tile {@code [from, to)}: quick, under the store's lock. */
  static Plan plan(Map<String, ? extends NavigableMap<Long, WindowResult>> byKind, String fromText, String toText,
      long nowSec) throws Refused {
    long from = instant("from", fromText);
    long to = instant("to", toText);
    if (from % 60 != 0 || to % 60 != 0) {
      throw new Refused("from and to must be whole minutes; the nearest range is "
          + Instant.ofEpochSecond(Math.floorDiv(from, 60) * 60) + " to " + Instant.ofEpochSecond(Math.floorDiv(to + 59, 60) * 60));
    }
    if (to <= from) {
      throw new Refused("to (" + Instant.ofEpochSecond(to) + ") must be after from (" + Instant.ofEpochSecond(from) + ")");
    }
    if (to > nowSec) {
      throw new Refused("to (" + Instant.ofEpochSecond(to) + ") is in the future; the latest answerable end is "
          + Instant.ofEpochSecond(Math.min(nowSec / 60 * 60, latestEnd(byKind))));
    }
    List<WindowResult> used = new ArrayList<>();
    long cursor = from;
    while (cursor < to) {
      WindowResult next = null;
      for (String kind : TILES) {
        NavigableMap<Long, WindowResult> windows = byKind.get(kind);
        WindowResult w = windows == null ? null : windows.get(cursor);
        if (w != null && w.endSec() <= to) {
          next = w;
          break;
        }
      }
      if (next != null) {
        used.add(next);
        cursor = next.endSec();
        continue;
      }
      long gapEnd = emptyUntil(byKind, cursor, to);
      if (gapEnd > cursor) {
        cursor = gapEnd; // inside what is held, a window without a record had no frames
        continue;
      }
      Long resume = nextStart(byKind, cursor);
      throw new Refused("no window held starts at " + Instant.ofEpochSecond(cursor) + " (this source holds "
          + held(byKind) + ")" + (cursor > from ? "; answerable: from " + Instant.ofEpochSecond(from) + " to "
              + Instant.ofEpochSecond(cursor) : resume != null && resume < to ? "; answerable: from "
              + Instant.ofEpochSecond(resume) : ""));
    }
    return new Plan(from, to, used);
  }

  /** The union of a plan's windows, as the answer's JSON (outside the store's lock: heapifies and unions). */
  static String answer(Plan plan) throws Refused {
    List<WindowResult> used = plan.windows();
    long uniques;
    double rse;
    boolean complete = true;
    for (WindowResult w : used) {
      complete &= !w.status().equals("early");
    }
    if (used.isEmpty()) {
      uniques = 0;
      rse = 0;
    } else if (used.size() == 1) {
      uniques = used.get(0).uniques();
      rse = Double.isNaN(used.get(0).rse()) ? 0 : used.get(0).rse();
    } else {
      SketchMemory.load();
      int lgK = 4;
      List<HllSketch> sketches = new ArrayList<>();
      for (WindowResult w : used) {
        if (w.sketch() == null) {
          throw new Refused("window " + w.key() + " has no sketch: a range of several windows needs the job to run with"
              + " --counter hll --emit-sketch");
        }
        HllSketch s = HllSketch.heapify(w.sketch());
        lgK = Math.max(lgK, s.getLgConfigK());
        sketches.add(s);
      }
      Union union = new Union(lgK);
      sketches.forEach(union::update);
      HllSketch result = union.getResult(TgtHllType.HLL_8);
      double estimate = result.getEstimate();
      uniques = Math.round(estimate);
      boolean dense = (result.toCompactByteArray()[7] & 3) == 2; // coupons are (nearly) exact; registers estimate
      rse = dense && estimate > 0 ? (result.getUpperBound(1) - estimate) / estimate : 0;
    }
    StringBuilder sb = new StringBuilder("{\"uniques\":").append(uniques).append(",\"rse\":").append(rse(rse))
        .append(",\"from\":\"").append(Instant.ofEpochSecond(plan.from())).append("\",\"to\":\"")
        .append(Instant.ofEpochSecond(plan.to())).append("\",\"complete\":").append(complete).append(",\"windows\":[");
    for (int i = 0; i < used.size(); i++) {
      sb.append(i == 0 ? "" : ",");
      Json.string(sb, used.get(i).key());
    }
    return sb.append("]}").toString();
  }

  /** 4 significant digits, plain (as result records write rse). */
  private static String rse(double rse) {
    if (rse == 0) {
      return "0";
    }
    return java.math.BigDecimal.valueOf(rse).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
  }

  /**
   * Where a run of windows without records ends, from {@code cursor}: inside the span a kind is
   * held over (finest first), a window with no record had no frames, up to the next one held.
   * Returns {@code cursor} when it is outside every span (then nothing is known there).
   */
  private static long emptyUntil(Map<String, ? extends NavigableMap<Long, WindowResult>> byKind, long cursor, long to) {
    for (int i = TILES.length - 1; i >= 0; i--) {
      NavigableMap<Long, WindowResult> m = byKind.get(TILES[i]);
      if (m == null || m.isEmpty() || cursor < m.firstKey() || cursor >= m.lastEntry().getValue().endSec()) {
        continue;
      }
      Map.Entry<Long, WindowResult> before = m.floorEntry(cursor);
      if (before != null && before.getValue().endSec() > cursor) {
        continue; // inside a window of this kind: not on its boundaries
      }
      Long next = m.ceilingKey(cursor);
      if (next != null) {
        return Math.min(next, to);
      }
    }
    return cursor;
  }

  /** The first start of a held window after {@code cursor}, of any tiling kind, or null. */
  private static Long nextStart(Map<String, ? extends NavigableMap<Long, WindowResult>> byKind, long cursor) {
    Long best = null;
    for (String kind : TILES) {
      NavigableMap<Long, WindowResult> m = byKind.get(kind);
      Long k = m == null ? null : m.ceilingKey(cursor + 1);
      if (k != null && (best == null || k < best)) {
        best = k;
      }
    }
    return best;
  }

  private static long instant(String name, String text) throws Refused {
    if (text == null || text.isEmpty()) {
      throw new Refused(name + " is missing (an ISO-8601 instant such as 2016-07-11T13:00:00Z)");
    }
    try {
      return Instant.parse(text).getEpochSecond();
    } catch (DateTimeParseException e) {
      // also with an offset: 2016-07-11T15:00:00+02:00
    }
    try {
      return java.time.OffsetDateTime.parse(text).toInstant().getEpochSecond();
    } catch (DateTimeParseException e) {
      throw new Refused(name + " \"" + (text.length() > 40 ? text.substring(0, 40) + "…" : text)
          + "\" is not an ISO-8601 instant such as 2016-07-11T13:00:00Z");
    }
  }

  /** The end of the newest window of the finest kind held: where the data ends (a year's end lies beyond it). */
  private static long latestEnd(Map<String, ? extends NavigableMap<Long, WindowResult>> byKind) {
    for (int i = TILES.length - 1; i >= 0; i--) {
      NavigableMap<Long, WindowResult> m = byKind.get(TILES[i]);
      if (m != null && !m.isEmpty()) {
        return m.lastEntry().getValue().endSec();
      }
    }
    return 0;
  }

  /** "minutes from A to B, hours from C to D, …" of what is held. */
  private static String held(Map<String, ? extends NavigableMap<Long, WindowResult>> byKind) {
    StringBuilder sb = new StringBuilder();
    for (int i = TILES.length - 1; i >= 0; i--) {
      NavigableMap<Long, WindowResult> m = byKind.get(TILES[i]);
      if (m != null && !m.isEmpty()) {
        sb.append(sb.length() == 0 ? "" : ", ").append(TILES[i]).append("s from ")
            .append(Instant.ofEpochSecond(m.firstKey())).append(" to ").append(Instant.ofEpochSecond(m.lastEntry().getValue().endSec()));
      }
    }
    return sb.length() == 0 ? "no windows" : sb.toString();
  }
}
