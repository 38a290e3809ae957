package uniqcount.window;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import uniqcount.reference.ReferenceCounts;

class ZoneCalendarTest {

  @Test
  void matchesJavaTimeInManyZonesAcrossCenturies() {
    String[] zones = {"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "America/Sao_Paulo", "+05:45", "Europe/London", "Australia/Sydney"};
    SplittableRandom r = new SplittableRandom(3);
    for (String z : zones) {
      ZoneId zone = ZoneId.of(z);
      ZoneCalendar cal = new ZoneCalendar(zone);
      for (int i = 0; i < 20_000; i++) {
        long ts = i % 2 == 0
            ? r.nextLong(-2_000_000_000L, 4_000_000_000L)
            : 1_600_000_000L + r.nextLong(0, 400L * 86400);
        for (Granularity g : Granularity.values()) {
          ZonedDateTime start = ReferenceCounts.start(g.label(), ts, zone);
          long s = cal.startOf(g, ts);
          assertEquals(start.toEpochSecond(), s, z + " " + g + " " + Instant.ofEpochSecond(ts));
          assertEquals(ReferenceCounts.end(g.label(), start).toEpochSecond(), cal.endOf(g, s),
              z + " " + g + " " + Instant.ofEpochSecond(ts));
        }
      }
    }
  }

  @Test
  void fallBackHourInNewYorkIsTwoWindows() {
    ZoneCalendar cal = new ZoneCalendar(ZoneId.of("America/New_York"));
    long firstOneAm = Instant.parse("2021-11-07T05:00:00Z").getEpochSecond(); // 01:00 EDT
    long secondOneAm = Instant.parse("2021-11-07T06:00:00Z").getEpochSecond(); // 01:00 EST
    assertEquals(firstOneAm, cal.startOf(Granularity.HOUR, firstOneAm + 1800));
    assertEquals(secondOneAm, cal.endOf(Granularity.HOUR, firstOneAm));
    assertEquals(secondOneAm, cal.startOf(Granularity.HOUR, secondOneAm + 1800));
    long day = cal.startOf(Granularity.DAY, firstOneAm);
    assertEquals(25 * 3600, cal.endOf(Granularity.DAY, day) - day);
  }

  @Test
  void windowsPartitionTheTimeLineEvenWhereOffsetsChangeByHalfHours() {
    for (String z : new String[] {"Australia/Lord_Howe", "America/New_York", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Chatham"}) {
      ZoneCalendar cal = new ZoneCalendar(ZoneId.of(z));
      for (Granularity g : Granularity.values()) {
        long from = Instant.parse("2018-01-01T00:00:00Z").getEpochSecond();
        long to = Instant.parse("2020-01-01T00:00:00Z").getEpochSecond();
        long step = g == Granularity.MINUTE ? 1799 : 7;
        long start = cal.startOf(g, from);
        long end = cal.endOf(g, start);
        if (g == Granularity.MINUTE || g == Granularity.HOUR) {
          step = g == Granularity.MINUTE ? 13 : 61;
          to = from + 40L * 86400;
        }
        // walk every boundary: each window starts where the previous ended
        long windows = 0;
        while (end <= to) {
          assertTrue(end > start, z + " " + g);
          assertEquals(end, cal.startOf(g, end), z + " " + g);
          assertEquals(start, cal.startOf(g, end - 1), z + " " + g);
          start = end;
          end = cal.endOf(g, start);
          windows++;
        }
        assertTrue(windows > 0 || step > 0);
      }
    }
  }
}
