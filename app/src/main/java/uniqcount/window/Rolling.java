package uniqcount.window;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import uniqcount.UserException;

/**
 * Rolling windows ({@code --rolling 1h,24h,7d}): "the last D up to the watermark", as the union of
 * the calendar windows that tile it — never a second pass over frames.
 *
 * <p>Up to a day, one every minute: [W − D, W) for each minute boundary W, tiled by minutes up to
 * the first whole hour, then hours (or a whole day), then minutes up to W. Longer ones (whole
 * hours), one every hour: [W − D, W) for each whole hour W, tiled by hours and days — keeping
 * minute windows for weeks would cost 60 times the memory of hours, and a window starting
 * mid-hour would need them. For that the windows used stay held after their late horizon
 * ({@link #retention}): their state, not their openness — a window past its horizon is sealed
 * and refuses frames, so rolling windows never change which frames count.
 */
public final class Rolling {
  /** The longest rolling window: hour windows are held this long in every partition. */
  public static final long MAX_SEC = 31 * 86_400L;
  /** Up to this the start is exact to the minute; beyond it, whole hours. */
  static final long MINUTE_EXACT_SEC = 86_400;
  /** No rolling windows. */
  public static final Rolling NONE = new Rolling(new long[0]);

  private final long[] durationsSec;

  private Rolling(long[] durationsSec) {
    this.durationsSec = durationsSec;
  }

  /**
   * The rolling windows of these durations (whole minutes, 1 minute to 31 days, no two alike).
   *
   * @throws UserException naming the duration that cannot be a rolling window
   */
  public static Rolling of(List<Duration> durations) {
    long[] sec = new long[durations.size()];
    for (int i = 0; i < sec.length; i++) {
      Duration d = durations.get(i);
      if (d.getNano() != 0 || d.getSeconds() % 60 != 0 || d.getSeconds() < 60) {
        throw UserException.usage("--rolling: " + d + " is not a whole number of minutes (write e.g. 1h,24h,7d)");
      }
      if (d.getSeconds() > MINUTE_EXACT_SEC && d.getSeconds() % 3600 != 0) {
        throw UserException.usage("--rolling: " + text(d.getSeconds())
            + " is longer than a day and not a whole number of hours (those are published hourly)");
      }
      if (d.getSeconds() > MAX_SEC) {
        throw UserException.usage("--rolling: at most 31d (hour windows are held that long in every partition; "
            + "for longer ranges use `uniqcount query`), got " + text(d.getSeconds()));
      }
      sec[i] = d.getSeconds();
    }
    Arrays.sort(sec);
    for (int i = 1; i < sec.length; i++) {
      if (sec[i] == sec[i - 1]) {
        throw UserException.usage("--rolling: " + text(sec[i]) + " given twice");
      }
    }
    return new Rolling(sec);
  }

  /** Whether there are none. */
  public boolean isEmpty() {
    return durationsSec.length == 0;
  }

  /** The durations in seconds, shortest first. */
  public long[] durationsSec() {
    return durationsSec.clone();
  }

  /**
   * The {@code window} of a rolling record: {@code rolling-} and the duration in days when it is
   * a whole number of days from two on, else hours, else minutes ({@code rolling-90m},
   * {@code rolling-24h}, {@code rolling-7d}).
   */
  public static String label(long sec) {
    return "rolling-" + text(sec);
  }

  /** A duration as in a label: {@code 90m}, {@code 24h}, {@code 7d}. */
  private static String text(long sec) {
    if (sec % 86_400 == 0 && sec >= 2 * 86_400) {
      return sec / 86_400 + "d";
    }
    if (sec % 3600 == 0) {
      return sec / 3600 + "h";
    }
    return sec / 60 + "m";
  }

  /** As on the command line, e.g. {@code 1h,24h,7d}; empty for none. */
  public String text() {
    List<String> list = new ArrayList<>();
    for (long d : durationsSec) {
      list.add(text(d));
    }
    return String.join(",", list);
  }

  /**
   * Checks that the calendar windows they are made of are counted.
   *
   * @throws UserException naming the missing window
   */
  public void requireWindows(EnumSet<Granularity> windows) {
    for (Granularity g : EnumSet.of(Granularity.MINUTE, Granularity.HOUR)) {
      if (!isEmpty() && !windows.contains(g)) {
        throw UserException.usage("--rolling needs " + g.label() + " windows: they are made of minutes and hours "
            + "(add " + g.label() + " to --windows)");
      }
    }
  }

  /**
   * How long after end + lateness the windows they are made of must stay held (at least), per
   * granularity: minutes for the longest rolling window of up to a day (and an hour, for the
   * minutes after the last whole hour), hours and days for the longest one and an hour more (a
   * start the zone moves back). Plus a minute: a window is computed before the round's release,
   * and the watermark runs at most {@code lateness} ahead of its end. Empty for none.
   */
  public Map<Granularity, Long> retention() {
    Map<Granularity, Long> m = new EnumMap<>(Granularity.class);
    if (isEmpty()) {
      return m;
    }
    long minutes = 3600;
    long longest = 0;
    for (long d : durationsSec) {
      if (d <= MINUTE_EXACT_SEC) {
        minutes = Math.max(minutes, d);
      }
      longest = Math.max(longest, d);
    }
    m.put(Granularity.MINUTE, minutes + 60);
    m.put(Granularity.HOUR, longest + 3600);
    m.put(Granularity.DAY, longest + 3600);
    return m;
  }

  /** Whether a rolling window of {@code durationSec} ends at this minute boundary: every minute up to a day, else whole hours. */
  public static boolean publishesAt(ZoneCalendar calendar, long durationSec, long endSec) {
    return durationSec <= MINUTE_EXACT_SEC || calendar.startOf(Granularity.HOUR, endSec) == endSec;
  }

  /**
   * The start of the rolling window of {@code durationSec} ending at {@code endSec}: {@code endSec
   * - durationSec}, on the minute (hour, beyond a day) window holding it should a zone's boundaries
   * not fall there (an offset with seconds, a 30-minute DST shift).
   */
  public static long startOf(ZoneCalendar calendar, long durationSec, long endSec) {
    long start = endSec - durationSec;
    return durationSec <= MINUTE_EXACT_SEC
        ? calendar.startOf(Granularity.MINUTE, start)
        : calendar.startOf(Granularity.HOUR, start);
  }

  /**
   * Visits the calendar windows that exactly tile [{@code startSec}, {@code endSec}), coarsest
   * first: a whole day (when {@code days}), else a whole hour, else a minute.
   */
  public static void tiles(ZoneCalendar calendar, boolean days, long startSec, long endSec, TileVisitor visitor) {
    long t = startSec;
    while (t < endSec) {
      Granularity g = Granularity.MINUTE;
      if (days && fits(calendar, Granularity.DAY, t, endSec)) {
        g = Granularity.DAY;
      } else if (fits(calendar, Granularity.HOUR, t, endSec)) {
        g = Granularity.HOUR;
      }
      long start = calendar.startOf(g, t);
      visitor.tile(g, start);
      t = calendar.endOf(g, start);
    }
  }

  private static boolean fits(ZoneCalendar calendar, Granularity g, long t, long endSec) {
    return calendar.startOf(g, t) == t && calendar.endOf(g, t) <= endSec;
  }

  /** Sees one tile of a rolling window. */
  @FunctionalInterface
  public interface TileVisitor {
    void tile(Granularity granularity, long startSec);
  }
}
