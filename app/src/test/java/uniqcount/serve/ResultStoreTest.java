package uniqcount.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import uniqcount.emit.ResultRecord;

/** The store of the latest record per window: revisions, foreign records, bounds, the JSON it serves. */
class ResultStoreTest {
  private static final ObjectMapper JACKSON = new ObjectMapper();
  private static final long T0 = Instant.parse("2016-07-11T13:39:00Z").getEpochSecond();

  private static String minute(long start, long uniques, String status, int revision) {
    return new ResultRecord("minute", start, start + 60, uniques, uniques * 2, ResultRecord.Status.valueOf(
        status.toUpperCase(java.util.Locale.ROOT)), revision, "exact", 0).toJson();
  }

  @Test
  void aHigherRevisionWinsAndALowerOrEqualOneIsIgnored() {
    ResultStore store = new ResultStore(() -> 0);
    assertEquals(ResultStore.Outcome.APPLIED, store.offerLine(minute(T0, 10, "early", 0)));
    assertEquals(ResultStore.Outcome.APPLIED, store.offerLine(minute(T0, 30, "final", 2)));
    assertEquals(ResultStore.Outcome.STALE, store.offerLine(minute(T0, 20, "early", 1)), "arrived late: older revision");
    assertEquals(ResultStore.Outcome.STALE, store.offerLine(minute(T0, 30, "final", 2)), "read twice");
    assertEquals(ResultStore.Outcome.APPLIED, store.offerLine(minute(T0, 31, "update", 3)));
    WindowResult held = store.get("minute", T0);
    assertEquals(31, held.uniques());
    assertEquals("update", held.status());
    assertEquals(5, store.recordsRead());
  }

  @Test
  void foreignRecordsAreSkippedAndCountedByReason() throws Exception {
    ResultStore store = new ResultStore(() -> 0);
    store.offerLine("garbage");
    store.offerLine("{\"window\":\"minute\"}");
    store.offerLine("{\"window\":\"<img src=x onerror=alert(1)>\",\"start\":\"2016-07-11T13:39:00Z\"}");
    store.offer("minute/2016-07-11T13:38:00Z", minute(T0, 1, "final", 0));
    store.offer("minute/2016-07-11T13:39:00Z", null);
    store.offerLine(minute(T0, 1, "final", 0));
    assertEquals(Map.of("not_json", 1L, "missing_field", 1L, "bad_value", 1L, "key_mismatch", 1L, "empty", 1L),
        store.foreignByReason());
    assertEquals(6, store.recordsRead());
    assertEquals(1, store.size("minute"));
    JsonNode stats = JACKSON.readTree(store.toJson(ResultStore.Query.PAGE)).get("stats");
    assertEquals(5, stats.get("foreign").asLong());
    assertEquals(1, stats.get("applied").asLong());
  }

  @Test
  void whatItServesIsJsonWithEveryMarkupCharacterEscaped() throws Exception {
    ResultStore store = new ResultStore(() -> 0);
    store.source("file <b>\"results\"</b>\n.jsonl \u2028 \ud800");
    store.offerLine("{\"window\":\"<script>alert(1)</script>\",\"start\":1}");
    String json = store.toJson(ResultStore.Query.PAGE);
    assertFalse(json.contains("<") || json.contains(">") || json.contains("\n") || json.contains("\u2028"), json);
    JsonNode tree = JACKSON.readTree(json);
    assertEquals("file <b>\"results\"</b>\n.jsonl \u2028 \ufffd", tree.get("stats").get("source").asText()
        .replace('\ud800', '\ufffd'));
    assertTrue(tree.get("stats").get("lastForeign").asText().contains("<script>alert(1)</script>"));
  }

  @Test
  void rollingWindowsAreHeldAndServedButNeverAnswerARange() throws Exception {
    ResultStore store = new ResultStore(() -> (T0 + 86_400) * 1000);
    for (int i = 0; i < 30; i++) {
      long end = T0 + 60 + i * 60L;
      assertEquals(ResultStore.Outcome.APPLIED, store.offerLine(new ResultRecord("rolling-1h", end - 3600, end, 100 + i,
          200 + i, ResultRecord.Status.FINAL, 0, "exact", 0).toJson()));
    }
    assertEquals(30, store.size("rolling-1h"));
    JsonNode page = JACKSON.readTree(store.toJson(ResultStore.Query.PAGE)).get("windows");
    assertEquals(10, page.get("rolling-1h").size(), "the page: the latest ten");
    assertEquals(129, page.get("rolling-1h").get(0).get("uniques").asInt(), "newest first");
    assertEquals(30, JACKSON.readTree(store.toJson(PageServer.query("window=rolling-1h&limit=100"))).get("windows")
        .get("rolling-1h").size());
    // a range is answered from calendar windows only: with no minute held, none
    assertTrue(assertThrowsRefused(store, Instant.ofEpochSecond(T0).toString(), Instant.ofEpochSecond(T0 + 600).toString()));
    // a flood of invented kinds is bounded
    for (int k = 1; k <= ResultStore.MAX_ROLLING_KINDS + 5; k++) {
      store.offerLine(new ResultRecord("rolling-" + (100 + k) + "m", T0, T0 + 60, 1, 1, ResultRecord.Status.FINAL, 0,
          "exact", 0).toJson());
    }
    assertEquals(6L, store.foreignByReason().get(ResultStore.TOO_MANY_KINDS));
    assertEquals(ResultStore.Outcome.FOREIGN, store.offerLine(minute(T0, 1, "final", 0).replace("\"minute\"",
        "\"rolling-1x\"")), "not a rolling window's name");
  }

  private static boolean assertThrowsRefused(ResultStore store, String from, String to) {
    try {
      store.uniques(from, to);
      return false;
    } catch (RangeQuery.Refused e) {
      return true;
    }
  }

  @Test
  void windowsComeNewestFirstAndTheQueryBoundsThem() throws Exception {
    ResultStore store = new ResultStore(() -> 0);
    for (int i = 0; i < 300; i++) { // five hours of minutes, in a shuffled order
      store.offerLine(minute(T0 + ((i * 7L) % 300) * 60, i, "final", 0));
    }
    long newest = T0 + 299 * 60;
    JsonNode page = JACKSON.readTree(store.toJson(ResultStore.Query.PAGE)).get("windows").get("minute");
    assertEquals(180, page.size(), "the page: minutes of the last 3 hours");
    assertEquals(Instant.ofEpochSecond(newest).toString(), page.get(0).get("start").asText());
    for (int i = 1; i < page.size(); i++) {
      assertTrue(page.get(i - 1).get("start").asText().compareTo(page.get(i).get("start").asText()) > 0);
    }
    JsonNode one = JACKSON.readTree(store.toJson(PageServer.query("window=minute&hours=1")));
    assertEquals(60, one.get("windows").get("minute").size());
    assertEquals(1, one.get("windows").size(), "one kind only");
    assertEquals(7, JACKSON.readTree(store.toJson(PageServer.query("window=minute&limit=7"))).get("windows")
        .get("minute").size());
  }

  @Test
  void theStoreKeepsOnlyTheNewestWindowsOfEachKind() {
    ResultStore store = new ResultStore(() -> 0);
    int capacity = ResultStore.capacity("minute");
    for (int i = 0; i < capacity + 100; i++) {
      store.offerLine(minute(T0 + i * 60L, i, "final", 0));
    }
    assertEquals(capacity, store.size("minute"));
    assertNull(store.get("minute", T0 + 99 * 60), "the oldest went");
    assertEquals(100, store.get("minute", T0 + 100 * 60).uniques());
    assertEquals(ResultStore.Outcome.TOO_OLD, store.offerLine(minute(T0, 1, "update", 1)), "not taken back in");
    assertEquals(ResultStore.Outcome.APPLIED, store.offerLine(minute(T0 + 100 * 60, 1, "update", 1)), "held: updated");
    assertEquals(capacity, store.size("minute"));
  }

  @Test
  void readersAreWokenByAChangeAndByClose() throws Exception {
    ResultStore store = new ResultStore(() -> 0);
    long seen = store.version();
    Thread writer = new Thread(() -> {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      }
      store.offerLine(minute(T0, 1, "early", 0));
    });
    writer.start();
    long now = store.awaitChange(seen, 30_000);
    assertTrue(now > seen);
    assertEquals(now, store.awaitChange(now, 50), "no change: the timeout ends the wait");
    store.close();
    assertEquals(-1, store.awaitChange(now, 30_000));
    writer.join();
  }

  @Test
  void concurrentWritersLeaveTheHighestRevisionOfEveryWindow() throws Exception {
    ResultStore store = new ResultStore(() -> 0);
    Map<Long, Integer> highest = new HashMap<>();
    List<List<String>> perThread = new ArrayList<>();
    Random random = new Random(3);
    for (int t = 0; t < 4; t++) {
      List<String> lines = new ArrayList<>();
      for (int i = 0; i < 5000; i++) {
        long start = T0 + random.nextInt(200) * 60L;
        int revision = random.nextInt(50);
        lines.add(minute(start, revision * 1000L + start % 997, "early", revision));
        highest.merge(start, revision, Math::max);
      }
      perThread.add(lines);
    }
    AtomicLong applied = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    for (List<String> lines : perThread) {
      Thread th = new Thread(() -> lines.forEach(l -> {
        if (store.offerLine(l) == ResultStore.Outcome.APPLIED) {
          applied.incrementAndGet();
        }
      }));
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join();
    }
    assertEquals(20_000, store.recordsRead());
    highest.forEach((start, revision) -> {
      assertEquals((int) revision, store.get("minute", start).revision());
      assertEquals(revision * 1000L + start % 997, store.get("minute", start).uniques());
    });
  }
}
