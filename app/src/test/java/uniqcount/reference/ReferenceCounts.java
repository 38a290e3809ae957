package uniqcount.reference;

import java.nio.charset.StandardCharsets;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Exact counts per window the plain way: Jackson for every frame, java.time for every frame's
 * windows, a {@code HashSet<String>} of uids per window.
 */
public final class ReferenceCounts {
  /** One window's truth. */
  public static final class Window {
    public final Set<String> uids = new HashSet<>();
    public long frames;
    public long endSec;
  }

  /** key {@code window/startInstant} → truth. */
  public final Map<String, Window> windows = new TreeMap<>();
  private final ZoneId zone;
  private long minTs = Long.MIN_VALUE;
  private long maxTs = Long.MAX_VALUE;

  public ReferenceCounts(ZoneId zone) {
    this.zone = zone;
  }

  /** Only frames with ts in [minTs, maxTs] count: the generator's true range, without bit flips. */
  public ReferenceCounts range(long minTs, long maxTs) {
    this.minTs = minTs;
    this.maxTs = maxTs;
    return this;
  }

  /** Adds every line of a JSON-lines byte array. */
  public ReferenceCounts addLines(byte[] data) {
    int start = 0;
    for (int i = 0; i <= data.length; i++) {
      if (i == data.length || data[i] == '\n') {
        if (i > start || i < data.length) {
          add(data, start, i - start);
        }
        start = i + 1;
      }
    }
    return this;
  }

  /** Adds one frame. */
  public void add(byte[] line, int offset, int length) {
    JacksonReference.Fields f = JacksonReference.parse(line, offset, length);
    if (f == null || f.ts < minTs || f.ts > maxTs) {
      return;
    }
    for (String g : new String[] {"minute", "hour", "day", "week", "month", "year"}) {
      ZonedDateTime start = start(g, f.ts, zone);
      Window w = windows.computeIfAbsent(g + "/" + start.toInstant(), k -> new Window());
      w.uids.add(new String(JacksonReference.utf8(f.uid), StandardCharsets.ISO_8859_1));
      w.frames++;
      w.endSec = end(g, start).toEpochSecond();
    }
  }

  /**
   * The truth of any minute-aligned range [start, end) (a rolling window): the union of the
   * reference's minutes in it, as {uniques, frames}.
   */
  public long[] truthOf(long startSec, long endSec) {
    Set<String> uids = new HashSet<>();
    long frames = 0;
    for (long m = startSec; m < endSec; m += 60) {
      Window w = windows.get("minute/" + Instant.ofEpochSecond(m));
      if (w != null) {
        uids.addAll(w.uids);
        frames += w.frames;
      }
    }
    return new long[] {uids.size(), frames};
  }

  /** Window start by java.time: local truncation for minute/hour, first instant of the first date for the others. */
  public static ZonedDateTime start(String g, long ts, ZoneId zone) {
    ZonedDateTime t = Instant.ofEpochSecond(ts).atZone(zone);
    LocalDate d = t.toLocalDate();
    switch (g) {
      case "minute":
        return t.truncatedTo(ChronoUnit.MINUTES);
      case "hour":
        return t.truncatedTo(ChronoUnit.HOURS);
      case "day":
        return d.atStartOfDay(zone);
      case "week":
        return d.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)).atStartOfDay(zone);
      case "month":
        return d.withDayOfMonth(1).atStartOfDay(zone);
      case "year":
        return d.withDayOfYear(1).atStartOfDay(zone);
      default:
        throw new IllegalArgumentException(g);
    }
  }

  /** Window end: the start of the window holding the instant a nominal window length later. */
  public static ZonedDateTime end(String g, ZonedDateTime start) {
    switch (g) {
      case "minute":
        return start.plusMinutes(1);
      case "hour":
        return start.plusHours(1);
      case "day":
        return start.toLocalDate().plusDays(1).atStartOfDay(start.getZone());
      case "week":
        return start.toLocalDate().plusWeeks(1).atStartOfDay(start.getZone());
      case "month":
        return start.toLocalDate().plusMonths(1).atStartOfDay(start.getZone());
      case "year":
        return start.toLocalDate().plusYears(1).atStartOfDay(start.getZone());
      default:
        throw new IllegalArgumentException(g);
    }
  }
}
