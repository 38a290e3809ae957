package uniqcount.window;

/**
 * Whatever the merge step merges: a partition counted here, or the latest committed state of a
 * partition counted elsewhere ({@link PartitionView}). Each contributes its windows and its
 * watermark.
 */
public interface Contributor {
  /** Its windows. */
  Windows windows();

  /** Its watermark (unix seconds), or {@link Long#MIN_VALUE}. */
  long watermarkSec();

  /** Whether it holds the global watermark back now: it expects data, has not ended and is not idle. */
  boolean holdsWatermark(long nowNanos, long idleTimeoutNanos);

  /** Whether its input ended and all of it is counted (its windows may be folded away). */
  boolean finished();
}
