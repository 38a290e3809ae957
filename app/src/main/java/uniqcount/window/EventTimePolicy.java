package uniqcount.window;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;

/**
 * When windows close and which timestamps are believed. Immutable.
 *
 * <ul>
 *   <li>{@code latenessSec}: a window is final once the watermark reaches its end plus this.
 *   <li>{@code horizonSec(g)}: after that, late frames still correct a window of granularity g
 *       for this long (then its state is released and later frames are {@code late_dropped}).
 *   <li>{@code maxFutureSec}: a frame further ahead than this of its partition's watermark, or
 *       of the wall clock, is implausible unless {@code jumpFrames} consistent frames confirm a
 *       jump.
 *   <li>Frames older than every window's horizon ({@link #maxPastSec()}) are implausible.
 * </ul>
 */
public final class EventTimePolicy {
  /** Default lateness: 99.9% of frames arrive within 5 s of their ts. */
  public static final long DEFAULT_LATENESS_SEC = 5;
  /** Default ahead-of-watermark limit. */
  public static final long DEFAULT_MAX_FUTURE_SEC = 3600;
  /** Default number of consistent frames that confirm a jump in event time. */
  public static final int DEFAULT_JUMP_FRAMES = 16;
  /** Default idle timeout of a partition. */
  public static final long DEFAULT_IDLE_TIMEOUT_SEC = 30;

  private final long latenessSec;
  private final long[] horizonSec;
  /** How long after end + lateness a window's state is held: its horizon, or longer for rolling windows. */
  private final long[] retainSec;
  private final long maxFutureSec;
  private final int jumpFrames;
  private final long idleTimeoutNanos;
  private final long maxPastSec;

  /**
   * @param horizons late horizon per granularity; missing ones take {@link #defaultHorizonSec}
   */
  public EventTimePolicy(long latenessSec, Map<Granularity, Long> horizons, long maxFutureSec, int jumpFrames,
      long idleTimeoutNanos, EnumSet<Granularity> enabled) {
    this.latenessSec = latenessSec;
    this.horizonSec = new long[Granularity.values().length];
    long maxPast = 0;
    for (Granularity g : Granularity.values()) {
      horizonSec[g.ordinal()] = horizons.getOrDefault(g, defaultHorizonSec(g));
      if (enabled.contains(g)) {
        maxPast = Math.max(maxPast, horizonSec[g.ordinal()]);
      }
    }
    this.maxPastSec = maxPast + latenessSec;
    this.maxFutureSec = maxFutureSec;
    this.jumpFrames = jumpFrames;
    this.idleTimeoutNanos = idleTimeoutNanos;
    this.retainSec = horizonSec.clone();
  }

  private EventTimePolicy(EventTimePolicy p, long[] retainSec) {
    this.latenessSec = p.latenessSec;
    this.horizonSec = p.horizonSec;
    this.maxFutureSec = p.maxFutureSec;
    this.jumpFrames = p.jumpFrames;
    this.idleTimeoutNanos = p.idleTimeoutNanos;
    this.maxPastSec = p.maxPastSec;
    this.retainSec = retainSec;
  }

  /**
   * This policy with windows held longer after their horizon (for {@link Rolling} windows): at
   * least {@code retention} after end + lateness. Which frames count does not change — a window
   * past its horizon refuses frames whether it is held or not — only when its state is released.
   */
  public EventTimePolicy withRetention(Map<Granularity, Long> retention) {
    long[] r = horizonSec.clone();
    retention.forEach((g, sec) -> r[g.ordinal()] = Math.max(r[g.ordinal()], sec));
    return new EventTimePolicy(this, r);
  }

  /** The defaults for all six windows. */
  public static EventTimePolicy defaults() {
    return new EventTimePolicy(DEFAULT_LATENESS_SEC, new EnumMap<>(Granularity.class), DEFAULT_MAX_FUTURE_SEC,
        DEFAULT_JUMP_FRAMES, DEFAULT_IDLE_TIMEOUT_SEC * 1_000_000_000L, EnumSet.allOf(Granularity.class));
  }

  /**
   * Default late horizon: minute 6 h, hour 2 days, day/week/month/year 7 days. Long enough for
   * stragglers of minutes to hours; short enough that bit flips (bit 20 and up: 12 days or more)
   * fall outside every horizon, and that state stays at ~360 minute and ~48 hour windows.
   */
  public static long defaultHorizonSec(Granularity g) {
    switch (g) {
      case MINUTE:
        return 6 * 3600;
      case HOUR:
        return 2 * 86_400;
      default:
        return 7 * 86_400;
    }
  }

  public long latenessSec() {
    return latenessSec;
  }

  public long horizonSec(Granularity g) {
    return horizonSec[g.ordinal()];
  }

  /** How long after end + lateness a window of {@code g} stays held (at least its horizon). */
  public long retainSec(Granularity g) {
    return retainSec[g.ordinal()];
  }

  public long maxFutureSec() {
    return maxFutureSec;
  }

  /** The longest horizon among the enabled windows, plus lateness. */
  public long maxPastSec() {
    return maxPastSec;
  }

  public int jumpFrames() {
    return jumpFrames;
  }

  public long idleTimeoutNanos() {
    return idleTimeoutNanos;
  }
}
