package uniqcount.serve;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * The latest result of every window that {@code serve} read, safe for one writer and any number
 * of readers. A record replaces the one held for its key only with a higher revision (results
 * may be read twice: a topic re-read from its start, a restarted job repeating what it published
 * since its last commit). Records that are not results are skipped and counted by reason.
 *
 * <p>Bounded: per window kind at most {@link #capacity(String)} windows, the newest by start;
 * an older one is dropped (and counted as {@code too_old}) — 48 hours of minutes, 62 days of
 * hours, 800 days, 260 weeks, 120 months and 50 years, about 6 000 records in all; and for each
 * rolling window kind ({@code rolling-24h}; at most {@value #MAX_ROLLING_KINDS} kinds) 48 hours of
 * them. Rolling windows are shown, never used to answer ranges.
 */
public final class ResultStore {
  /** Window kinds, finest first, as the page shows them. */
  static final String[] KINDS = {"minute", "hour", "day", "week", "month", "year"};
  private static final int[] CAPACITY = {48 * 60, 62 * 24, 800, 260, 120, 50};
  /** Most rolling window kinds held: more are foreign ({@code too_many_kinds}), so a foreign flood stays bounded. */
  static final int MAX_ROLLING_KINDS = 16;
  static final String TOO_MANY_KINDS = "too_many_kinds";

  private final Map<String, TreeMap<Long, WindowResult>> byKind = new LinkedHashMap<>();
  private final Map<String, Long> foreignByReason = new TreeMap<>();
  private final LongSupplier wallMillis;
  private long version;
  private long read;
  private long applied;
  private long stale;
  private long tooOld;
  private long lastChangeMillis = -1;
  private String lastForeign;
  private String source = "";
  private boolean closed;
  private String pageJson;
  private long pageVersion = -1;
  private boolean unbounded;

  /** A store that time-stamps changes with the wall clock. */
  public ResultStore() {
    this(System::currentTimeMillis);
  }

  /** A store that time-stamps changes with {@code wallMillis}. */
  ResultStore(LongSupplier wallMillis) {
    this.wallMillis = wallMillis;
    for (String k : KINDS) {
      byKind.put(k, new TreeMap<>());
    }
  }

  /** Keeps every window it is given (the offline {@code query} over a whole results file); returns this. */
  public synchronized ResultStore unbounded() {
    unbounded = true;
    return this;
  }

  /**
   * Distinct users in {@code [from, to)} from the windows held ({@link RangeQuery}), as one JSON
   * object.
   *
   * @throws RangeQuery.Refused when the range is malformed, reversed, in the future or not held
   */
  public String uniques(String from, String to) throws RangeQuery.Refused {
    RangeQuery.Plan plan;
    synchronized (this) {
      plan = RangeQuery.plan(byKind, from, to, wallMillis.getAsLong() / 1000);
    }
    return RangeQuery.answer(plan); // the union outside the lock: ingestion goes on meanwhile
  }

  /** Most windows of kind {@code kind} held at once. */
  static int capacity(String kind) {
    for (int i = 0; i < KINDS.length; i++) {
      if (KINDS[i].equals(kind)) {
        return CAPACITY[i];
      }
    }
    if (ResultJson.isRolling(kind)) {
      return 48 * 60;
    }
    throw new IllegalArgumentException(kind);
  }

  /** What {@link #offer} did with a record. */
  public enum Outcome {
    /** The record is now its window's latest. */
    APPLIED,
    /** A record of the same or a higher revision was already held. */
    STALE,
    /** Older than every window kept of its kind. */
    TOO_OLD,
    /** Not a result record: skipped and counted. */
    FOREIGN
  }

  /** Offers one line of a results file (JSON lines). */
  public Outcome offerLine(String line) {
    return offer(null, line);
  }

  /**
   * Offers one record: a Kafka record's key and value, or a line of a file (key null).
   *
   * @return what became of it
   */
  public Outcome offer(String key, String value) {
    WindowResult r;
    try {
      r = ResultJson.parse(key, value);
    } catch (ResultJson.Foreign f) {
      synchronized (this) {
        read++;
        foreignByReason.merge(f.reason(), 1L, Long::sum);
        lastForeign = f.reason() + ": " + f.getMessage();
        changed();
      }
      return Outcome.FOREIGN;
    }
    return offer(r);
  }

  synchronized Outcome offer(WindowResult r) {
    TreeMap<Long, WindowResult> windows = byKind.get(r.window());
    if (windows == null) { // a rolling window's first record
      if (byKind.size() - KINDS.length >= MAX_ROLLING_KINDS) {
        read++;
        foreignByReason.merge(TOO_MANY_KINDS, 1L, Long::sum);
        lastForeign = TOO_MANY_KINDS + ": more than " + MAX_ROLLING_KINDS + " rolling windows, " + r.window() + " skipped";
        changed();
        return Outcome.FOREIGN;
      }
      windows = new TreeMap<>();
      byKind.put(r.window(), windows);
    }
    read++;
    WindowResult held = windows.get(r.startSec());
    if (held != null && held.revision() >= r.revision()) {
      stale++;
      return Outcome.STALE;
    }
    int capacity = unbounded ? Integer.MAX_VALUE : capacity(r.window());
    if (held == null && windows.size() >= capacity && r.startSec() < windows.firstKey()) {
      tooOld++;
      return Outcome.TOO_OLD;
    }
    windows.put(r.startSec(), r);
    while (windows.size() > capacity) {
      windows.pollFirstEntry();
      tooOld++;
    }
    applied++;
    changed();
    return Outcome.APPLIED;
  }

  /** Describes the source on the page, e.g. {@code topic results (3 partitions)}. */
  public synchronized void source(String description) {
    source = description;
    changed();
  }

  private void changed() {
    version++;
    lastChangeMillis = wallMillis.getAsLong();
    notifyAll();
  }

  /** Counts every change; readers compare it to know whether anything is new. */
  public synchronized long version() {
    return version;
  }

  /**
   * Waits until the version differs from {@code seen}, at most {@code timeoutMillis}.
   *
   * @return the current version, or -1 once the store is closed
   */
  synchronized long awaitChange(long seen, long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (!closed && version == seen) {
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        break;
      }
      wait(left);
    }
    return closed ? -1 : version;
  }

  /** Wakes every waiting reader for good (the server is stopping). */
  public synchronized void close() {
    closed = true;
    notifyAll();
  }

  /** Records read so far: applied, stale, too old and foreign. */
  public synchronized long recordsRead() {
    return read;
  }

  /** Foreign records skipped, by reason. */
  public synchronized Map<String, Long> foreignByReason() {
    return new TreeMap<>(foreignByReason);
  }

  /** The latest record of a window, or null. */
  synchronized WindowResult get(String kind, long startSec) {
    TreeMap<Long, WindowResult> m = byKind.get(kind);
    return m == null ? null : m.get(startSec);
  }

  /** Windows held of one kind. */
  synchronized int size(String kind) {
    TreeMap<Long, WindowResult> m = byKind.get(kind);
    return m == null ? 0 : m.size();
  }

  /**
   * The windows of one kind, newest first, as a JSON array: the newest {@code limit}, and of
   * those only windows starting less than {@code hours} before the newest one's start ({@code
   * hours} &lt;= 0: no such bound).
   */
  private void appendKind(StringBuilder sb, String kind, int limit, int hours) {
    TreeMap<Long, WindowResult> m = byKind.get(kind);
    sb.append('[');
    if (!m.isEmpty()) {
      NavigableMap<Long, WindowResult> view = m.descendingMap();
      if (hours > 0) {
        view = view.headMap(m.lastKey() - hours * 3600L, false);
      }
      int n = 0;
      for (WindowResult r : view.values()) {
        if (n == limit) {
          break;
        }
        if (n++ > 0) {
          sb.append(',');
        }
        r.appendJson(sb);
      }
    }
    sb.append(']');
  }

  /**
   * The API's answer: {@code {"windows":{kind:[records, newest first]},"stats":{...},"version":N}}.
   *
   * @param query the kinds to give and, per kind, how many windows (limit) and how far back (hours)
   */
  synchronized String toJson(Query query) {
    if (query == Query.PAGE && pageVersion == version && pageJson != null) {
      return pageJson; // every page connected gets the same view after a change
    }
    StringBuilder sb = new StringBuilder(256 + 180 * 400);
    sb.append("{\"windows\":{");
    boolean first = true;
    for (String kind : byKind.keySet()) { // the six, then rolling kinds as they came
      if (query.window() != null && !query.window().equals(kind)) {
        continue;
      }
      if (!first) {
        sb.append(',');
      }
      first = false;
      sb.append('"').append(kind).append("\":");
      appendKind(sb, kind, query.limit(kind), query.hours(kind));
    }
    sb.append("},\"stats\":");
    appendStats(sb);
    sb.append(",\"version\":").append(version).append('}');
    if (query == Query.PAGE) {
      pageJson = sb.toString();
      pageVersion = version;
      return pageJson;
    }
    return sb.toString();
  }

  private void appendStats(StringBuilder sb) {
    long foreign = 0;
    for (long n : foreignByReason.values()) {
      foreign += n;
    }
    sb.append("{\"read\":").append(read)
        .append(",\"applied\":").append(applied)
        .append(",\"stale\":").append(stale)
        .append(",\"tooOld\":").append(tooOld)
        .append(",\"foreign\":").append(foreign)
        .append(",\"foreignByReason\":{");
    boolean first = true;
    for (Map.Entry<String, Long> e : foreignByReason.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      Json.string(sb, e.getKey());
      sb.append(':').append(e.getValue());
    }
    sb.append("},\"lastForeign\":");
    if (lastForeign == null) {
      sb.append("null");
    } else {
      Json.string(sb, lastForeign);
    }
    sb.append(",\"lastChange\":");
    if (lastChangeMillis < 0) {
      sb.append("null");
    } else {
      Json.string(sb, Instant.ofEpochMilli(lastChangeMillis).toString());
    }
    sb.append(",\"source\":");
    Json.string(sb, source);
    sb.append(",\"windowsHeld\":{");
    first = true;
    for (Map.Entry<String, TreeMap<Long, WindowResult>> e : byKind.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      sb.append('"').append(e.getKey()).append("\":").append(e.getValue().size());
    }
    sb.append("}}");
  }

  /**
   * What {@code /api/windows} asks for: one kind or all; at most {@code limit} windows per kind
   * and, if {@code hours} &gt; 0, only those starting less than that before the newest.
   * {@link #PAGE} is the page's view.
   */
  record Query(String window, int limit, int hours) {
    /** The page: minutes of the last 3 hours; 24 hours, 14 days, 8 weeks, 12 months, 5 years; 10 of each rolling window. */
    static final Query PAGE = new Query(null, -1, -1);

    int limit(String kind) {
      if (limit > 0) {
        return limit;
      }
      switch (kind) {
        case "minute":
          return hours > 0 ? Integer.MAX_VALUE : 180;
        case "hour":
          return 24;
        case "day":
          return 14;
        case "week":
          return 8;
        case "month":
          return 12;
        case "year":
          return 5;
        default: // a rolling window: the latest few
          return 10;
      }
    }

    int hours(String kind) {
      if (hours > 0) {
        return hours;
      }
      return kind.equals("minute") && limit <= 0 ? 3 : 0;
    }
  }
}
