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

/**
 * Distinct users in any minute-aligned range {@code [from, to)} from the published windows: the
 * fewest windows that tile the range exactly — at each step the longest year, month, day, hour or
 * minute window that starts where the range stands and ends inside it — and the union of their
 * sketches ({@code count --emit-sketch}). Weeks are not used (they do not tile months). A range
 * that one window covers needs no sketch. The answer:
 *
 * <pre>{"uniques":N,"rse":0.0081,"from":"…","to":"…","windows":["day/…","hour/…",…]}</pre>
 *
 * {@code rse} is DataSketches' one-standard-deviation bound of the union (0 when the union is
 * still exact), or the one window's own.
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
    long from = instant("from", fromText);
    long to = instant("to", toText);
    if (from % 60 != 0 || to % 60 != 0) {
      throw new Refused("from and to must be whole minutes; the nearest range is " + Instant.ofEpochSecond(Math.floorDiv(from, 60) * 60)
          + " to " + Instant.ofEpochSecond(Math.floorDiv(to + 59, 60) * 60));
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
      if (next == null) {
        throw new Refused("no window held starts at " + Instant.ofEpochSecond(cursor) + " (results keep minutes for"
            + " 48 h, hours for 62 days, days for 800; this source holds " + held(byKind) + ")"
            + (cursor > from ? "; answerable: from " + Instant.ofEpochSecond(from) + " to " + Instant.ofEpochSecond(cursor)
                : ""));
      }
      used.add(next);
      cursor = next.endSec();
    }
    long uniques;
    double rse;
    if (used.size() == 1) {
      uniques = used.get(0).uniques();
      rse = Double.isNaN(used.get(0).rse()) ? 0 : used.get(0).rse();
    } else {
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
      rse = result.isEstimationMode() && estimate > 0 ? (result.getUpperBound(1) - estimate) / estimate : 0;
    }
    StringBuilder sb = new StringBuilder("{\"uniques\":").append(uniques).append(",\"rse\":")
        .append(Math.round(rse * 1e6) / 1e6).append(",\"from\":\"").append(Instant.ofEpochSecond(from))
        .append("\",\"to\":\"").append(Instant.ofEpochSecond(to)).append("\",\"windows\":[");
    for (int i = 0; i < used.size(); i++) {
      sb.append(i == 0 ? "" : ",");
      Json.string(sb, used.get(i).key());
    }
    return sb.append("]}").toString();
  }

  private static long instant(String name, String text) throws Refused {
    if (text == null || text.isEmpty()) {
      throw new Refused(name + " is missing (an ISO-8601 instant such as 2016-07-11T13:00:00Z)");
    }
    try {
      return Instant.parse(text).getEpochSecond();
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
