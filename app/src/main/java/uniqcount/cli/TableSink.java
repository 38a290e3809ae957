package uniqcount.cli;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import uniqcount.emit.ResultRecord;
import uniqcount.sink.ResultSink;

/** Keeps the latest record of every window, for the demo's live table. */
final class TableSink implements ResultSink {
  private static final String[] WINDOWS = {"minute", "hour", "day", "week", "month", "year"};
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

  private final Map<String, TreeMap<Long, ResultRecord>> latest = new TreeMap<>();
  private long records;

  @Override
  public synchronized void write(ResultRecord r) {
    latest.computeIfAbsent(r.window(), k -> new TreeMap<>()).put(r.startSec(), r);
    records++;
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}

  /** The table: the three latest minutes and the latest two of every other window. */
  synchronized List<String> render() {
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "%-7s %-19s  %-19s %10s %10s  %-6s %4s %7s",
        "window", "start (UTC)", "end (UTC)", "uniques", "frames", "status", "rev", "±rse"));
    for (String w : WINDOWS) {
      TreeMap<Long, ResultRecord> m = latest.get(w);
      if (m == null) {
        continue;
      }
      int rows = w.equals("minute") ? 3 : 2;
      for (ResultRecord r : m.descendingMap().values()) {
        if (rows-- == 0) {
          break;
        }
        lines.add(String.format(Locale.ROOT, "%-7s %-19s  %-19s %,10d %,10d  %-6s %4d %6.2f%%",
            w, TIME.format(Instant.ofEpochSecond(r.startSec())), TIME.format(Instant.ofEpochSecond(r.endSec())),
            r.uniques(), r.frames(), r.status().label(), r.revision(), 100 * r.rse()));
      }
      // only windows still held, so the table does not grow
      while (m.size() > 8) {
        m.pollFirstEntry();
      }
    }
    lines.add(String.format(Locale.ROOT, "%,d result records so far", records));
    return lines;
  }
}
