package uniqcount.window;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import uniqcount.count.CounterSpec;

/**
 * The windows of one granularity owned by one shard. The two most recently used windows are kept
 * at hand, so frames in order (or a few seconds out of order across a boundary) never touch the
 * map or the calendar.
 */
final class WindowSet {
  private final Granularity granularity;
  private final ZoneCalendar calendar;
  private final CounterSpec counterSpec;
  private final Map<Long, WindowState> windows = new HashMap<>();
  private WindowState current;
  private WindowState previous;

  WindowSet(Granularity granularity, ZoneCalendar calendar, CounterSpec counterSpec) {
    this.granularity = granularity;
    this.calendar = calendar;
    this.counterSpec = counterSpec;
    this.current = new WindowState(granularity, 0, 0, null);
    this.previous = current;
  }

  void add(long timestampSec, long uidHash) {
    WindowState w = current;
    if (!w.contains(timestampSec)) {
      w = locate(timestampSec);
    }
    w.counter = w.counter.add(uidHash);
    w.frames++;
  }

  private WindowState locate(long timestampSec) {
    WindowState w = previous;
    if (!w.contains(timestampSec)) {
      long start = calendar.startOf(granularity, timestampSec);
      w = windows.get(start);
      if (w == null) {
        w = new WindowState(granularity, start, calendar.endOf(granularity, start), counterSpec.newCounter());
        windows.put(start, w);
      }
    }
    previous = current;
    current = w;
    return w;
  }

  Granularity granularity() {
    return granularity;
  }

  Collection<WindowState> windows() {
    return windows.values();
  }
}
