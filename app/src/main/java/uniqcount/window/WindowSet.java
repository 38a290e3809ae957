package uniqcount.window;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import uniqcount.count.CounterSpec;
import uniqcount.count.DistinctCounter;

/**
 * The windows of one granularity of one {@link Windows}. The two most recently used windows are kept
 * at hand, so frames in order (or a few seconds out of order across a boundary) never touch the
 * map or the calendar. Windows whose late horizon has passed are released, and frames for them
 * are refused from then on.
 */
final class WindowSet {
  private final Granularity granularity;
  private final ZoneCalendar calendar;
  private final CounterSpec counterSpec;
  private final Map<Long, WindowState> windows = new HashMap<>();
  private final WindowState none;
  private WindowState current;
  private WindowState previous;
  private long releasedEndSec = Long.MIN_VALUE;
  /**
   * Windows ending at or before this take no more frames, though they may still be held (for
   * rolling windows): the global watermark passed their late horizon.
   */
  private long sealedEndSec = Long.MIN_VALUE;
  /** Lateness plus this granularity's late horizon: how long after its end a window takes frames. */
  private final long keepSec;

  WindowSet(Granularity granularity, ZoneCalendar calendar, CounterSpec counterSpec, long keepSec) {
    this.keepSec = keepSec;
    this.granularity = granularity;
    this.calendar = calendar;
    this.counterSpec = counterSpec;
    this.none = new WindowState(granularity, 0, 0, null);
    this.current = none;
    this.previous = none;
  }

  /**
   * Counts a frame; returns false if it is beyond its window's late horizon — decided by the
   * data alone: the window ended more than lateness + horizon before {@code watermarkSec}, the
   * partition's watermark as of this frame — or if the window was already released.
   */
  boolean add(long timestampSec, long uidHash, long watermarkSec) {
    long cut = watermarkSec - keepSec;
    WindowState w = current;
    if (!w.contains(timestampSec)) {
      w = locate(timestampSec, cut);
      if (w == null) {
        return false;
      }
    } else if (w.endSec() <= cut) {
      return false;
    }
    w.counter = w.counter.add(uidHash);
    w.frames++;
    return true;
  }

  private WindowState locate(long timestampSec, long cut) {
    WindowState w = previous;
    if (!w.contains(timestampSec)) {
      long start = calendar.startOf(granularity, timestampSec);
      w = windows.get(start);
      if (w == null) {
        long end = calendar.endOf(granularity, start);
        if (end <= releasedEndSec || end <= sealedEndSec || end <= cut) {
          return null;
        }
        w = new WindowState(granularity, start, end, counterSpec.newCounter());
        windows.put(start, w);
      }
    }
    if (w.endSec() <= cut || w.endSec() <= sealedEndSec) {
      return null;
    }
    previous = current;
    current = w;
    return w;
  }

  /**
   * Drops every window ending at or before {@code endSec}, adding them to {@code released}; frames
   * for them are refused from now on.
   */
  void release(long endSec, List<WindowState> released) {
    if (endSec <= releasedEndSec) {
      return;
    }
    releasedEndSec = endSec;
    for (Iterator<WindowState> it = windows.values().iterator(); it.hasNext(); ) {
      WindowState w = it.next();
      if (w.endSec() <= endSec) {
        released.add(w);
        it.remove();
      }
    }
    current = none;
    previous = none;
  }

  long releasedEndSec() {
    return releasedEndSec;
  }

  /**
   * Refuses frames from now on for every window ending at or before {@code endSec}, held or not
   * (the windows at hand are dropped, so the next frame finds its window through the check).
   */
  void seal(long endSec) {
    if (endSec > sealedEndSec) {
      sealedEndSec = endSec;
      current = none;
      previous = none;
    }
  }

  long sealedEndSec() {
    return sealedEndSec;
  }

  /** Restores a window (from a checkpoint), merging into one already present. */
  void restore(long startSec, long endSec, DistinctCounter counter, long frames) {
    WindowState w = windows.get(startSec);
    if (w == null) {
      w = new WindowState(granularity, startSec, endSec, counter);
      windows.put(startSec, w);
    } else {
      w.counter = w.counter.merge(counter);
    }
    w.frames += frames;
  }

  /**
   * Sets a window to a contributor's latest image (a record of the state topic), replacing what
   * was held; ignored if the window was already released here.
   */
  void put(long startSec, long endSec, DistinctCounter counter, long frames) {
    if (endSec <= releasedEndSec) {
      return;
    }
    WindowState w = new WindowState(granularity, startSec, endSec, counter);
    w.frames = frames;
    windows.put(startSec, w);
    current = none;
    previous = none;
  }

  /** Drops one window (its owner released it). */
  void remove(long startSec) {
    windows.remove(startSec);
    current = none;
    previous = none;
  }

  void restoreReleased(long endSec) {
    releasedEndSec = Math.max(releasedEndSec, endSec);
  }

  Granularity granularity() {
    return granularity;
  }

  Collection<WindowState> windows() {
    return windows.values();
  }

  /** The windows in order of their start (snapshots are then independent of hashing). */
  List<WindowState> windowsByStart() {
    List<WindowState> list = new ArrayList<>(windows.values());
    list.sort((a, b) -> Long.compare(a.startSec(), b.startSec()));
    return list;
  }

  /** Drops every window (they moved elsewhere); the release line stays. */
  void clear() {
    windows.clear();
    current = none;
    previous = none;
  }
}
