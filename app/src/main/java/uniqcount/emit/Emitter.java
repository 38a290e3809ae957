package uniqcount.emit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import uniqcount.count.CounterSpec;
import uniqcount.count.SketchImage;
import uniqcount.count.DistinctCounter;
import uniqcount.window.Clock;
import uniqcount.window.Contributor;
import uniqcount.window.EventTimePolicy;
import uniqcount.window.Granularity;
import uniqcount.window.Partition;
import uniqcount.window.Rolling;
import uniqcount.window.WindowState;
import uniqcount.window.Windows;
import uniqcount.window.ZoneCalendar;

/**
 * The merge step: turns the partitions' contributions into results. Decides what to publish and
 * when, from the partitions' windows and watermarks.
 * Called by one thread: {@link #tick()} every few hundred milliseconds, {@link #flush()} once at
 * the end of a finite input.
 *
 * <p>The global watermark is the minimum over active partitions (started, not finished, and not
 * idle for longer than the idle timeout) and never goes back. When the last active ones go idle in
 * the same round, it is the furthest of those (a partition idle or ended before that never moves
 * it). Per window:
 *
 * <ul>
 *   <li>{@code early}: while open, when its frame count changed, at most once per early interval;
 *   <li>{@code final}: exactly once, when the watermark reaches end + lateness (or at the end of
 *       input);
 *   <li>{@code update}: after final, when late frames changed it, at most once per early interval
 *       and always before its state is released;
 *   <li>released once the watermark reaches end + lateness + the granularity's late horizon.
 * </ul>
 *
 * Every record of a window carries the next revision, starting at 0. Partitions are merged (a
 * union of counters, frames added) only for the windows being published. A finished partition's
 * windows are moved into the retired windows, so they are not merged again every round.
 */
public final class Emitter {
  private final Supplier<List<? extends Contributor>> contributors;
  private final BooleanSupplier complete;
  private final Windows retired;
  private final EventTimePolicy policy;
  private final CounterSpec spec;
  private final Clock clock;
  private final boolean early;
  private final long intervalNanos;
  private boolean sketches;
  /** Rolling windows, or null. */
  private RollingPublisher rolling;
  private ZoneCalendar calendar;
  private final Map<Granularity, Map<Long, Emitted>> emitted = new EnumMap<>(Granularity.class);
  private long watermarkSec = Long.MIN_VALUE;
  private boolean behind;
  /** The contributors that held the watermark back in the last round. */
  private Set<Contributor> heldLastRound = Set.of();
  /** This round's contributors. */
  private List<? extends Contributor> partitions = List.of();

  /**
   * @param partitions the contributors, each owning its windows
   * @param retired where finished partitions' windows are folded (empty, or restored)
   * @param early whether to publish early results
   * @param intervalNanos least time between two early or update records of one window
   */
  public Emitter(List<Partition> partitions, Windows retired, EventTimePolicy policy, CounterSpec spec, Clock clock,
      boolean early, long intervalNanos) {
    this(constant(partitions), () -> true, retired, policy, spec, clock, early, intervalNanos);
  }

  private static Supplier<List<? extends Contributor>> constant(List<Partition> partitions) {
    List<Partition> copy = List.copyOf(partitions);
    return () -> copy;
  }

  /**
   * A merge step over contributors that come and go (Kafka partitions counted anywhere).
   *
   * @param contributors the contributors of this round (called once per round, by the emitter's thread)
   * @param complete whether every input partition is known, so the watermark may advance
   */
  public Emitter(Supplier<List<? extends Contributor>> contributors, BooleanSupplier complete, Windows retired,
      EventTimePolicy policy, CounterSpec spec, Clock clock, boolean early, long intervalNanos) {
    this.contributors = contributors;
    this.complete = complete;
    this.retired = retired;
    this.policy = policy;
    this.spec = spec;
    this.clock = clock;
    this.early = early;
    this.intervalNanos = intervalNanos;
    for (Granularity g : Granularity.values()) {
      emitted.put(g, new HashMap<>());
    }
  }

  /**
   * Whether the last round held the watermark back for rolling windows still to publish: the
   * next round is due at once.
   */
  public boolean behind() {
    return behind;
  }

  /** The global watermark (unix seconds), or {@link Long#MIN_VALUE} before there is one. */
  public long watermarkSec() {
    return watermarkSec;
  }

  /** One round while input flows: records to publish, ordered by window then start. */
  public List<ResultRecord> tick() {
    return round(false);
  }

  /**
   * Adds to every record it publishes from now on the window's sketch ({@code --emit-sketch}):
   * base64 of its compact DataSketches HLL image ({@code hll} counters only), republished records
   * (after a restart or a takeover) too, from the counters held.
   */
  public Emitter withSketches() {
    if (spec.kind() != CounterSpec.Kind.HLL) {
      throw new IllegalArgumentException("only hll counters have sketches");
    }
    this.sketches = true;
    return this;
  }

  /**
   * Publishes rolling windows ({@code --rolling}): once the watermark passes a minute boundary W
   * plus lateness, for each duration D a final record of the last D up to W — the union of the
   * held minute, hour and day windows that tile it (see {@link Rolling}); at the end of a finite
   * input, up to the end of the last minute with frames. Each is published once (revision 0) and
   * never revised: a frame later than that is in the calendar windows' updates and in every later
   * rolling window that covers it. The policy must hold the windows long enough
   * ({@link EventTimePolicy#withRetention}).
   *
   * @param days whether day windows are counted (tiles of whole days)
   */
  public Emitter withRolling(Rolling rolling, ZoneCalendar calendar, boolean days) {
    this.rolling = rolling.isEmpty() ? null : new RollingPublisher(rolling, calendar, days, spec);
    this.calendar = calendar;
    return this;
  }

  /**
   * End of a finite input: every window's final (or update) record, and the first rolling
   * windows up to the end of the last minute with frames; {@link #flushMore()} gives the rest.
   */
  public List<ResultRecord> flush() {
    return round(true);
  }

  /** After {@link #flush()}: the next rolling windows up to the end of the input, empty once all went out. */
  public List<ResultRecord> flushMore() {
    if (rolling == null) {
      return List.of();
    }
    partitions = contributors.get();
    return rolling(true);
  }

  private List<ResultRecord> round(boolean end) {
    long now = clock.nanoTime();
    List<? extends Contributor> partitions = contributors.get();
    this.partitions = partitions;
    if (rolling != null && complete.getAsBoolean()) {
      // from the first minute with frames of every partition: one that has not reported yet may
      // hold earlier minutes than those that did (the watermark waits for it too)
      rolling.start(v -> forEachWindow(List.of(), v));
    }
    if (!end) {
      advanceWatermark(now);
    }
    foldFinished();
    // rolling windows first: every window they need is still held (released below)
    List<ResultRecord> rolled = rolling == null ? List.of() : rolling(end);
    // Windows past their horizon leave their owners first: a frame counted from now on finds its
    // window released (late_dropped), so the update published below holds all the window got.
    List<WindowState> released = end ? List.of() : release();
    // Pass 1: frame totals per window, to see what changed.
    Map<Granularity, Map<Long, long[]>> totals = new EnumMap<>(Granularity.class);
    forEachWindow(released, w -> {
      long[] t = totals.computeIfAbsent(w.granularity(), g -> new HashMap<>())
          .computeIfAbsent(w.startSec(), s -> new long[] {0, w.endSec()});
      t[0] += w.frames();
    });
    Map<Granularity, Map<Long, Publish>> due = new EnumMap<>(Granularity.class);
    for (Map.Entry<Granularity, Map<Long, long[]>> byGranularity : totals.entrySet()) {
      Granularity g = byGranularity.getKey();
      for (Map.Entry<Long, long[]> window : byGranularity.getValue().entrySet()) {
        long frames = window.getValue()[0];
        long endSec = window.getValue()[1];
        Emitted e = emitted.get(g).get(window.getKey());
        ResultRecord.Status status = decide(g, endSec, frames, e, now, end);
        if (status != null) {
          due.computeIfAbsent(g, k -> new TreeMap<>()).put(window.getKey(), new Publish(status, endSec));
        }
      }
    }
    // Pass 2: merge the contributors' counters of the windows due.
    forEachWindow(released, w -> {
      Map<Long, Publish> m = due.get(w.granularity());
      Publish p = m == null ? null : m.get(w.startSec());
      if (p != null) {
        p.counter = p.counter == null ? w.counter().copy() : p.counter.merge(w.counter());
        p.frames += w.frames();
      }
    });
    List<ResultRecord> out = new ArrayList<>();
    for (Map.Entry<Granularity, Map<Long, Publish>> byGranularity : due.entrySet()) {
      Granularity g = byGranularity.getKey();
      for (Map.Entry<Long, Publish> window : byGranularity.getValue().entrySet()) {
        Publish p = window.getValue();
        Emitted e = emitted.get(g).computeIfAbsent(window.getKey(), k -> new Emitted());
        long uniques = p.counter.estimate();
        String sketch = sketches ? sketchOf(p.counter) : null;
        out.add(new ResultRecord(g.label(), window.getKey(), p.endSec, uniques, p.frames, p.status,
            e.revision++, spec.kind().label(), p.counter.relativeStandardError(), sketch));
        e.frames = p.frames;
        e.endSec = p.endSec;
        e.lastNanos = now;
        e.status = p.status;
        e.uniques = uniques;
        e.rse = p.counter.relativeStandardError();
        e.isFinal |= p.status != ResultRecord.Status.EARLY;
      }
    }
    out.addAll(rolled); // after the calendar windows of the round
    if (!end) {
      forgetReleased();
    }
    return out;
  }

  /** The rolling windows whose end the watermark (plus lateness) passed since the last round. */
  private List<ResultRecord> rolling(boolean end) {
    long limit;
    if (end) { // the end of the last minute with frames
      long[] last = {Long.MIN_VALUE};
      forEachWindow(List.of(), w -> {
        if (w.granularity() == Granularity.MINUTE) {
          last[0] = Math.max(last[0], w.endSec());
        }
      });
      limit = last[0];
    } else {
      limit = watermarkSec == Long.MIN_VALUE ? Long.MIN_VALUE : watermarkSec - policy.latenessSec();
    }
    if (limit == Long.MIN_VALUE) {
      return new ArrayList<>();
    }
    return rolling.publish(limit, v -> forEachWindow(List.of(), v), sketches ? Emitter::sketchOf : c -> null);
  }

  /** Every window of every contributor, then the windows released in this round. */
  private void forEachWindow(List<WindowState> released, Windows.WindowVisitor visitor) {
    for (Windows windows : contributors()) {
      windows.forEachWindow(visitor);
    }
    for (WindowState w : released) {
      visitor.visit(w);
    }
  }

  private ResultRecord.Status decide(Granularity g, long endSec, long frames, Emitted e, long now, boolean end) {
    // once final, always closed: a window flushed at the end of an input (or an idle exit) whose
    // end the watermark has not passed takes later frames as updates, never as early again
    boolean closed = end || e != null && e.isFinal
        || watermarkSec != Long.MIN_VALUE && endSec + policy.latenessSec() <= watermarkSec;
    boolean changed = e == null || e.frames != frames;
    if (closed) {
      if (e == null || !e.isFinal) {
        return ResultRecord.Status.FINAL;
      }
      boolean releasing = !end && endSec + policy.latenessSec() + policy.retainSec(g) <= watermarkSec;
      if (changed && (end || releasing || now - e.lastNanos >= intervalNanos)) {
        return ResultRecord.Status.UPDATE;
      }
      return null;
    }
    if (early && changed && (e == null || now - e.lastNanos >= intervalNanos)) {
      return ResultRecord.Status.EARLY;
    }
    return null;
  }

  /** The retired windows and the windows of every partition (those of finished ones are empty, or nearly). */
  private List<Windows> contributors() {
    List<Windows> list = new ArrayList<>(partitions.size() + 1);
    list.add(retired);
    for (Contributor p : partitions) {
      list.add(p.windows());
    }
    return list;
  }

  /**
   * Moves the windows of partitions whose input ended into the retired windows, so that a replay
   * of many files merges one set of windows per round rather than every finished file's. A move,
   * not a promise: whatever a finished partition still counts (a Kafka partition ended by two
   * consumers around a rebalance) stays in its own windows and is merged like any other.
   */
  private void foldFinished() {
    for (Contributor p : partitions) {
      if (p.finished()) {
        retired.absorb(p.windows());
      }
    }
  }

  private void advanceWatermark(long now) {
    if (!complete.getAsBoolean()) {
      return; // a partition nobody reported yet may hold anything
    }
    long min = Long.MAX_VALUE;
    boolean any = false;
    long furthestJustIdle = Long.MIN_VALUE;
    Set<Contributor> holding = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Contributor p : partitions) {
      if (p.holdsWatermark(now, policy.idleTimeoutNanos())) {
        any = true;
        min = Math.min(min, p.watermarkSec());
        holding.add(p);
      } else if (heldLastRound.contains(p)) {
        furthestJustIdle = Math.max(furthestJustIdle, p.watermarkSec());
      }
    }
    heldLastRound = holding;
    if (!any && furthestJustIdle != Long.MIN_VALUE) {
      // the last active partitions went idle in the same round: none holds the others back, so the
      // watermark is the furthest of them, as if the one further behind had gone quiet a round
      // earlier (otherwise the order of rounds decided whether the others' last minutes became
      // final before new data). Partitions idle or ended before that never move it.
      min = furthestJustIdle;
      any = true;
    }
    behind = false;
    if (any && min != Long.MIN_VALUE && rolling != null && rolling.paceLimit() != Long.MIN_VALUE
        && min > rolling.paceLimit() + policy.latenessSec()) {
      // rolling windows set the pace: a round publishes a bounded number of them, and the windows
      // they need are released only once they went out
      min = rolling.paceLimit() + policy.latenessSec();
      behind = true;
    }
    if (any && min != Long.MIN_VALUE && min > watermarkSec) {
      watermarkSec = min;
    }
  }

  /** Takes the windows whose late horizon the watermark passed away from their owners. */
  private List<WindowState> release() {
    List<WindowState> released = new ArrayList<>();
    if (watermarkSec == Long.MIN_VALUE) {
      return released;
    }
    seal();
    for (Granularity g : Granularity.values()) {
      long cut = watermarkSec - policy.latenessSec() - policy.retainSec(g);
      for (Windows windows : contributors()) {
        windows.release(g, cut, released);
      }
    }
    return released;
  }

  /**
   * Closes the windows past their late horizon to frames (those held longer for rolling windows
   * included): a partition that lags the global watermark, idle and then back, cannot add to
   * them, as before windows were held past their horizon.
   */
  private void seal() {
    for (Granularity g : Granularity.values()) {
      long cut = watermarkSec - policy.latenessSec() - policy.horizonSec(g);
      for (Windows windows : contributors()) {
        windows.seal(g, cut);
      }
    }
  }

  /** Forgets what was published for windows past their horizon (after their last update went out). */
  private void forgetReleased() {
    if (watermarkSec == Long.MIN_VALUE) {
      return;
    }
    for (Granularity g : Granularity.values()) {
      long cut = watermarkSec - policy.latenessSec() - policy.retainSec(g);
      for (Iterator<Map.Entry<Long, Emitted>> it = emitted.get(g).entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<Long, Emitted> e = it.next();
        if (e.getValue().endSec <= cut) {
          it.remove();
        }
      }
    }
  }

  /** What was published so far, as values, for a snapshot; call between rounds. */
  public State state() {
    List<Published> list = new ArrayList<>();
    for (Granularity g : Granularity.values()) {
      for (Map.Entry<Long, Emitted> e : new TreeMap<>(emitted.get(g)).entrySet()) {
        Emitted x = e.getValue();
        list.add(new Published(g, e.getKey(), x.endSec, x.revision, x.frames, x.isFinal, x.status, x.uniques, x.rse));
      }
    }
    return new State(watermarkSec, list);
  }

  /** Restores a state taken by {@link #state()} into this fresh emitter. */
  public void restore(State state) {
    watermarkSec = state.watermarkSec();
    if (watermarkSec != Long.MIN_VALUE) {
      partitions = contributors.get();
      seal(); // the windows sealed before the restart take no frames while the first round is due
    }
    if (rolling != null) {
      // rolling windows went out up to the last minute boundary the watermark (less lateness) passed,
      // or up to the last final minute (a flush at the end of an input publishes past the watermark)
      long through = watermarkSec == Long.MIN_VALUE
          ? Long.MIN_VALUE : calendar.startOf(Granularity.MINUTE, watermarkSec - policy.latenessSec());
      for (Published p : state.published()) {
        if (p.granularity() == Granularity.MINUTE && p.isFinal()) {
          through = Math.max(through, p.endSec());
        }
      }
      if (through != Long.MIN_VALUE) {
        rolling.publishedThrough(through);
      }
    }
    for (Map<Long, Emitted> m : emitted.values()) {
      m.clear();
    }
    for (Published p : state.published()) {
      Emitted e = new Emitted();
      e.revision = p.revision();
      e.frames = p.frames();
      e.isFinal = p.isFinal();
      e.endSec = p.endSec();
      e.status = p.status();
      e.uniques = p.uniques();
      e.rse = p.rse();
      emitted.get(p.granularity()).put(p.startSec(), e);
    }
  }

  /**
   * The merge step's state as values.
   *
   * @param watermarkSec the global watermark, or {@link Long#MIN_VALUE}
   * @param published what was last published per window still held
   */
  public record State(long watermarkSec, List<Published> published) {}

  /**
   * The last record published for one window.
   *
   * @param revision the revision the next record will carry
   * @param frames frames in the last record (-1 before any)
   * @param isFinal whether a final record was published
   */
  public record Published(Granularity granularity, long startSec, long endSec, int revision, long frames,
      boolean isFinal, ResultRecord.Status status, long uniques, double rse) {}

  /**
   * The last record published for every window still held, as it was (same revision, same
   * value): after a restart, so that a reader of a sink that cannot be rewound (stdout) sees the
   * whole current state again.
   */
  public List<ResultRecord> republish() {
    // with sketches, each record gets its window's sketch again from the counters still held (a
    // compacted results topic keeps the republished record, which must not lose it)
    Map<Granularity, Map<Long, DistinctCounter>> held = new EnumMap<>(Granularity.class);
    if (sketches) {
      partitions = contributors.get();
      forEachWindow(List.of(), w -> held.computeIfAbsent(w.granularity(), x -> new HashMap<>())
          .merge(w.startSec(), w.counter().copy(), DistinctCounter::merge));
    }
    List<ResultRecord> out = new ArrayList<>();
    for (Granularity g : Granularity.values()) {
      for (Map.Entry<Long, Emitted> e : new TreeMap<>(emitted.get(g)).entrySet()) {
        Emitted x = e.getValue();
        if (x.revision > 0) {
          DistinctCounter c = held.getOrDefault(g, Map.of()).get(e.getKey());
          String sketch = c == null ? null : sketchOf(c);
          out.add(new ResultRecord(g.label(), e.getKey(), x.endSec, x.uniques, x.frames, x.status, x.revision - 1,
              spec.kind().label(), x.rse, sketch));
        }
      }
    }
    return out;
  }

  /** A record's {@code sketch}: base64 of the counter's compact DataSketches image. */
  private static String sketchOf(DistinctCounter counter) {
    return java.util.Base64.getEncoder().encodeToString(SketchImage.of(counter.image()));
  }

  /** What was last published for a window. */
  private static final class Emitted {
    int revision;
    long frames = -1;
    long lastNanos;
    boolean isFinal;
    long endSec = Long.MAX_VALUE;
    ResultRecord.Status status = ResultRecord.Status.EARLY;
    long uniques;
    double rse;
  }

  /** A window due for publishing in this round. */
  private static final class Publish {
    final ResultRecord.Status status;
    final long endSec;
    DistinctCounter counter;
    long frames;

    Publish(ResultRecord.Status status, long endSec) {
      this.status = status;
      this.endSec = endSec;
    }
  }
}
