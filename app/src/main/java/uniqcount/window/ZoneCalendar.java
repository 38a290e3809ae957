package uniqcount.window;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;

/**
 * Window boundaries in one time zone, from {@code java.time}. Called only when a frame falls
 * outside the windows a partition has at hand, never per frame.
 *
 * <p>Every granularity partitions the time line into consecutive, non-overlapping windows
 * [start, end):
 *
 * <ul>
 *   <li>day, week (ISO, from Monday), month, year start at the first instant of their first local
 *       date ({@link LocalDate#atStartOfDay(ZoneId)}, which also handles a midnight in a DST gap),
 *       so a day across a DST change lasts 23 or 25 hours;
 *   <li>minute and hour follow the local clock: they are aligned to the zone's offset and cut at
 *       offset transitions. When clocks go back, the repeated local hour is two windows with
 *       distinct start instants; for zones whose offset changes by less than the window (30 min
 *       in Lord Howe) the window around the change is cut short, never overlapped.
 * </ul>
 */
public final class ZoneCalendar {
  private final ZoneId zone;
  private final ZoneRules rules;
  private final int fixedOffsetSeconds;
  private final boolean fixedOffset;

  /** A calendar for {@code zone}. */
  public ZoneCalendar(ZoneId zone) {
    this.zone = zone;
    this.rules = zone.getRules();
    this.fixedOffset = rules.isFixedOffset();
    this.fixedOffsetSeconds = fixedOffset ? rules.getOffset(Instant.EPOCH).getTotalSeconds() : 0;
  }

  /** Start (unix seconds) of the {@code g} window holding {@code timestampSec}. */
  public long startOf(Granularity g, long timestampSec) {
    int unit = g.fixedSeconds();
    if (unit != 0) {
      long start = timestampSec - Math.floorMod(timestampSec + offsetAt(timestampSec), unit);
      if (!fixedOffset) {
        ZoneOffsetTransition previous = rules.previousTransition(Instant.ofEpochSecond(timestampSec + 1));
        if (previous != null) {
          long at = previous.toEpochSecond();
          if (at <= timestampSec && at > start) {
            start = at;
          }
        }
      }
      return start;
    }
    LocalDate date = unitStart(g, localDate(timestampSec));
    long start = boundary(date);
    while (start > timestampSec) {
      date = unitStart(g, date.minusDays(1));
      start = boundary(date);
    }
    while (true) {
      LocalDate next = nextUnit(g, date);
      long nextStart = boundary(next);
      if (nextStart > timestampSec) {
        return start;
      }
      date = next;
      start = nextStart;
    }
  }

  /** End (unix seconds, exclusive) of the {@code g} window that starts at {@code startSec}. */
  public long endOf(Granularity g, long startSec) {
    int unit = g.fixedSeconds();
    if (unit != 0) {
      long end = startSec - Math.floorMod(startSec + offsetAt(startSec), unit) + unit;
      if (!fixedOffset) {
        ZoneOffsetTransition next = rules.nextTransition(Instant.ofEpochSecond(startSec));
        if (next != null && next.toEpochSecond() < end) {
          end = next.toEpochSecond();
        }
      }
      return end;
    }
    return boundary(nextUnit(g, unitStart(g, localDate(startSec))));
  }

  private int offsetAt(long epochSecond) {
    return fixedOffset ? fixedOffsetSeconds : rules.getOffset(Instant.ofEpochSecond(epochSecond)).getTotalSeconds();
  }

  private LocalDate localDate(long epochSecond) {
    return LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.ofTotalSeconds(offsetAt(epochSecond)))
        .toLocalDate();
  }

  private long boundary(LocalDate date) {
    return date.atStartOfDay(zone).toEpochSecond();
  }

  private static LocalDate unitStart(Granularity g, LocalDate date) {
    switch (g) {
      case DAY:
        return date;
      case WEEK:
        return date.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
      case MONTH:
        return date.withDayOfMonth(1);
      case YEAR:
        return date.withDayOfYear(1);
      default:
        throw new IllegalArgumentException(g.label());
    }
  }

  private static LocalDate nextUnit(Granularity g, LocalDate unitStart) {
    switch (g) {
      case DAY:
        return unitStart.plusDays(1);
      case WEEK:
        return unitStart.plusWeeks(1);
      case MONTH:
        return unitStart.plusMonths(1);
      case YEAR:
        return unitStart.plusYears(1);
      default:
        throw new IllegalArgumentException(g.label());
    }
  }
}
