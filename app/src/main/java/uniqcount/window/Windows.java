package uniqcount.window;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import uniqcount.count.CounterImage;
import uniqcount.count.CounterSpec;
import uniqcount.count.DistinctCounter;

/**
 * The windows of one owner — one input partition, or the finished partitions folded together —
 * for every enabled granularity, with their counters. It only counts: frames arrive decoded and
 * already judged by their partition's event-time clock.
 *
 * <p>Guarded by its own monitor: the thread applying a partition's batches holds it per batch,
 * the emitter while it reads the windows (copying or merging the counters of those due), releases
 * or folds them. No thread ever holds two of them except
 * the emitter in {@link #absorb}, so there is no lock order to get wrong.
 */
public final class Windows {
  private final WindowSet[] sets;

  /**
   * @param granularities the windows to count
   * @param calendar window boundaries
   * @param counterSpec the counter every window uses
   * @param policy lateness and late horizons: which frames a window still takes
   */
  public Windows(EnumSet<Granularity> granularities, ZoneCalendar calendar, CounterSpec counterSpec,
      EventTimePolicy policy) {
    List<WindowSet> list = new ArrayList<>();
    for (Granularity g : granularities) {
      list.add(new WindowSet(g, calendar, counterSpec, policy.latenessSec() + policy.horizonSec(g)));
    }
    this.sets = list.toArray(new WindowSet[0]);
  }

  /**
   * Counts accepted frames (each with its partition's watermark as of that frame) in the windows
   * of their timestamps; returns how many were refused by at least one window whose late horizon
   * had passed ({@code late_dropped}; they still count in the others). Which frames are refused
   * follows from the input alone, never from when the emitter ran.
   */
  synchronized long count(FrameBuffer f) {
    long[] ts = f.timestamps;
    long[] hashes = f.hashes;
    long[] watermarks = f.watermarks;
    long dropped = 0;
    for (int i = 0; i < f.size; i++) {
      boolean refused = false;
      for (WindowSet set : sets) {
        if (!set.add(ts[i], hashes[i], watermarks[i])) {
          refused = true;
        }
      }
      if (refused) {
        dropped++;
      }
    }
    return dropped;
  }

  /** Sees every window held. */
  public synchronized void forEachWindow(WindowVisitor visitor) {
    for (WindowSet set : sets) {
      for (WindowState w : set.windows()) {
        visitor.visit(w);
      }
    }
  }

  /**
   * Releases the windows of {@code g} ending at or before {@code endSec} and hands them over in
   * {@code released}: frames for them are refused (late-dropped) from now on, so what they hold
   * is final and the caller can publish it without racing the counting thread.
   */
  public synchronized void release(Granularity g, long endSec, List<WindowState> released) {
    for (WindowSet set : sets) {
      if (set.granularity() == g) {
        set.release(endSec, released);
      }
    }
  }

  /**
   * Refuses frames from now on for the windows of {@code g} ending at or before {@code endSec},
   * without releasing them: what a release at the late horizon did before rolling windows held
   * windows longer ({@link EventTimePolicy#retainSec}), so which frames count does not change.
   */
  public synchronized void seal(Granularity g, long endSec) {
    for (WindowSet set : sets) {
      if (set.granularity() == g) {
        set.seal(endSec);
      }
    }
  }

  /** Windows held now (all granularities). */
  public synchronized int windowCount() {
    int n = 0;
    for (WindowSet set : sets) {
      n += set.windows().size();
    }
    return n;
  }

  /**
   * Moves every window of {@code other} into this one (a union per window: counters merged,
   * frames added) and leaves {@code other} empty; its release lines carry over. Used to fold the
   * state of a finished input into the retired windows, so it is merged once rather than every round.
   */
  public void absorb(Windows other) {
    synchronized (this) {
      synchronized (other) {
        for (int k = 0; k < sets.length; k++) {
          WindowSet from = other.sets[k];
          sets[k].restoreReleased(from.releasedEndSec());
          sets[k].seal(from.sealedEndSec());
          for (WindowState w : from.windows()) {
            sets[k].restore(w.startSec(), w.endSec(), w.counter(), w.frames());
          }
          from.clear();
        }
      }
    }
  }

  /** A copy of everything held: the release line per granularity and every window with its counter. */
  public synchronized State state() {
    long[] released = new long[sets.length];
    List<WindowImage> windows = new ArrayList<>();
    for (int k = 0; k < sets.length; k++) {
      released[k] = sets[k].releasedEndSec();
      for (WindowState w : sets[k].windowsByStart()) {
        windows.add(new WindowImage(w.granularity(), w.startSec(), w.endSec(), w.frames(), w.counter().image()));
      }
    }
    return new State(granularities(), released, windows);
  }

  /**
   * Adds a state taken by {@link #state()} to this one (windows merged into any already here).
   *
   * @throws IllegalArgumentException if the state has other granularities or another counter kind
   */
  public synchronized void restore(State state, CounterSpec spec) {
    if (!state.granularities().equals(granularities())) {
      throw new IllegalArgumentException("windows " + state.granularities() + ", this run counts " + granularities());
    }
    for (int k = 0; k < sets.length; k++) {
      sets[k].restoreReleased(state.releasedEndSec()[k]);
    }
    for (WindowImage w : state.windows()) {
      WindowSet set = setOf(w.granularity());
      DistinctCounter counter = spec.fromImage(w.counter());
      set.restore(w.startSec(), w.endSec(), counter, w.frames());
    }
  }

  /** Sets one window to {@code image}, replacing what was held (ignored once released here). */
  public synchronized void put(WindowImage image, CounterSpec spec) {
    setOf(image.granularity()).put(image.startSec(), image.endSec(), spec.fromImage(image.counter()), image.frames());
  }

  /** Drops one window. */
  public synchronized void remove(Granularity g, long startSec) {
    setOf(g).remove(startSec);
  }

  /** Raises the release lines to {@code releasedEndSec} (same order as {@link #granularityList()}), dropping what they pass. */
  public synchronized void releaseTo(long[] releasedEndSec) {
    List<WindowState> dropped = new ArrayList<>();
    for (int k = 0; k < sets.length && k < releasedEndSec.length; k++) {
      sets[k].release(releasedEndSec[k], dropped);
    }
  }

  /** The release line per granularity, in the order of {@link #granularityList()}. */
  public synchronized long[] releaseLines() {
    long[] lines = new long[sets.length];
    for (int k = 0; k < sets.length; k++) {
      lines[k] = sets[k].releasedEndSec();
    }
    return lines;
  }

  /** The granularities counted, in order. */
  public List<Granularity> granularityList() {
    return granularities();
  }

  private WindowSet setOf(Granularity g) {
    for (WindowSet set : sets) {
      if (set.granularity() == g) {
        return set;
      }
    }
    throw new IllegalArgumentException("window " + g.label() + " is not counted");
  }

  private List<Granularity> granularities() {
    List<Granularity> list = new ArrayList<>();
    for (WindowSet set : sets) {
      list.add(set.granularity());
    }
    return list;
  }

  /** Receives windows from {@link #forEachWindow}; must not keep references to their counters. */
  public interface WindowVisitor {
    /** One window. */
    void visit(WindowState window);
  }

  /**
   * Everything a {@link Windows} holds, as values.
   *
   * @param granularities the granularities counted, in order
   * @param releasedEndSec per granularity (same order): windows ending at or before it are gone
   * @param windows every window held, by granularity then start
   */
  public record State(List<Granularity> granularities, long[] releasedEndSec, List<WindowImage> windows) {}

  /** One window as values: its bounds, frames and counter. */
  public record WindowImage(Granularity granularity, long startSec, long endSec, long frames, CounterImage counter) {}
}
