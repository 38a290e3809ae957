package uniqcount.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import uniqcount.count.CounterSpec;
import uniqcount.count.DistinctCounter;
import uniqcount.count.SketchImage;
import uniqcount.frame.UidHash;

/** {@link RangeQuery} on a few hand-made windows: gaps without frames, open windows, refusals. */
class RangeQueryUnitTest {
  private static final long T = 1_468_231_200L; // 2016-07-11T10:00:00Z

  private static WindowResult minute(long start, String status, String... uids) {
    DistinctCounter c = CounterSpec.hll(12).newCounter();
    for (String u : uids) {
      byte[] b = u.getBytes(StandardCharsets.UTF_8);
      c = c.add(UidHash.sketchHash(b, 0, b.length));
    }
    return new WindowResult("minute", start, start + 60, uids.length, uids.length, status, 0, "hll", 0,
        SketchImage.of(c.image()));
  }

  private static Map<String, NavigableMap<Long, WindowResult>> held(WindowResult... windows) {
    Map<String, NavigableMap<Long, WindowResult>> m = new TreeMap<>();
    for (WindowResult w : windows) {
      m.computeIfAbsent(w.window(), k -> new TreeMap<>()).put(w.startSec(), w);
    }
    return m;
  }

  @Test
  void minutesWithoutFramesInsideWhatIsHeldAddNothing() throws Exception {
    var h = held(minute(T, "final", "a", "b"), minute(T + 120, "final", "b", "c"), minute(T + 180, "final", "d"));
    String answer = RangeQuery.answer(h, "2016-07-11T10:00:00Z", "2016-07-11T10:04:00Z", T + 3600);
    assertEquals("{\"uniques\":4,\"rse\":0,\"from\":\"2016-07-11T10:00:00Z\",\"to\":\"2016-07-11T10:04:00Z\","
        + "\"complete\":true,\"windows\":[\"minute/2016-07-11T10:00:00Z\",\"minute/2016-07-11T10:02:00Z\","
        + "\"minute/2016-07-11T10:03:00Z\"]}", answer);
    assertEquals("{\"uniques\":0,\"rse\":0,\"from\":\"2016-07-11T10:01:00Z\",\"to\":\"2016-07-11T10:02:00Z\","
        + "\"complete\":true,\"windows\":[]}", RangeQuery.answer(h, "2016-07-11T10:01:00Z", "2016-07-11T10:02:00Z", T + 3600));
  }

  @Test
  void anOpenWindowMakesTheAnswerIncompleteAndOutsideWhatIsHeldIsRefused() throws Exception {
    var h = held(minute(T, "final", "a"), minute(T + 60, "early", "b"));
    assertTrue(RangeQuery.answer(h, "2016-07-11T10:00:00Z", "2016-07-11T10:02:00Z", T + 3600).contains("\"complete\":false"));
    RangeQuery.Refused before = assertThrows(RangeQuery.Refused.class,
        () -> RangeQuery.answer(h, "2016-07-11T09:58:00Z", "2016-07-11T10:02:00Z", T + 3600));
    assertEquals("no window held starts at 2016-07-11T09:58:00Z (this source holds minutes from 2016-07-11T10:00:00Z to"
        + " 2016-07-11T10:02:00Z); answerable: from 2016-07-11T10:00:00Z", before.getMessage());
    RangeQuery.Refused after = assertThrows(RangeQuery.Refused.class,
        () -> RangeQuery.answer(h, "2016-07-11T10:00:00Z", "2016-07-11T10:05:00Z", T + 3600));
    assertEquals("no window held starts at 2016-07-11T10:02:00Z (this source holds minutes from 2016-07-11T10:00:00Z to"
        + " 2016-07-11T10:02:00Z); answerable: from 2016-07-11T10:00:00Z to 2016-07-11T10:02:00Z", after.getMessage());
    assertTrue(RangeQuery.answer(h, "2016-07-11T12:00:00+02:00", "2016-07-11T10:01:00Z", T + 3600)
        .startsWith("{\"uniques\":1,"), "an offset is an instant too");
  }
}
