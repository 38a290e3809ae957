package uniqcount.window;

/** Wall-clock time, injected so tests control it (no sleeping in tests). */
public interface Clock {
  /** Monotonic nanoseconds, for intervals. */
  long nanoTime();

  /** Current unix seconds. */
  long epochSecond();

  /** The system clock. */
  Clock SYSTEM = new Clock() {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public long epochSecond() {
      return System.currentTimeMillis() / 1000;
    }
  };
}
