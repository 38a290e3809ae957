package uniqcount.count;

import java.util.Arrays;

/**
 * Open-addressing set of longs with linear probing, no boxing. The values are already well-mixed
 * hashes, so the slot is taken from their low bits directly. Zero marks an empty slot; the value 0
 * itself is held in a flag.
 */
final class LongHashSet {
  private static final int MIN_CAPACITY = 16;

  private long[] slots;
  private int mask;
  private int size;
  private boolean containsZero;
  private int resizeAt;

  LongHashSet(int expected) {
    int capacity = Math.max(MIN_CAPACITY, Integer.highestOneBit(Math.max(1, expected) * 2 - 1) << 1);
    allocate(capacity);
  }

  LongHashSet(LongHashSet other) {
    slots = other.slots.clone();
    mask = other.mask;
    size = other.size;
    containsZero = other.containsZero;
    resizeAt = other.resizeAt;
  }

  /** A set of {@code values}. */
  static LongHashSet of(long[] values) {
    LongHashSet set = new LongHashSet(values.length);
    for (long v : values) {
      set.add(v);
    }
    return set;
  }

  /** Adds a value; returns true if it was new. */
  boolean add(long value) {
    if (value == 0) {
      if (containsZero) {
        return false;
      }
      containsZero = true;
      size++;
      return true;
    }
    int i = (int) value & mask;
    long[] s = slots;
    while (true) {
      long v = s[i];
      if (v == value) {
        return false;
      }
      if (v == 0) {
        s[i] = value;
        if (++size > resizeAt) {
          grow();
        }
        return true;
      }
      i = (i + 1) & mask;
    }
  }

  /** Calls {@code action} with every value (0 included when present). */
  void forEach(java.util.function.LongConsumer action) {
    if (containsZero) {
      action.accept(0);
    }
    for (long v : slots) {
      if (v != 0) {
        action.accept(v);
      }
    }
  }

  /** The bytes of its slot array. */
  long sizeBytes() {
    return 8L * slots.length;
  }

  int size() {
    return size;
  }

  private void grow() {
    long[] old = slots;
    allocate(old.length * 2);
    for (long v : old) {
      if (v != 0) {
        int i = (int) v & mask;
        while (slots[i] != 0) {
          i = (i + 1) & mask;
        }
        slots[i] = v;
      }
    }
  }

  private void allocate(int capacity) {
    slots = new long[capacity];
    mask = capacity - 1;
    resizeAt = capacity / 2;
  }

  @Override
  public String toString() {
    return "LongHashSet(size=" + size + ", capacity=" + slots.length + ")";
  }

  /** The values in ascending order (snapshots are then independent of the slot layout). */
  long[] toSortedArray() {
    long[] out = new long[size];
    int[] n = {0};
    forEach(v -> out[n[0]++] = v);
    Arrays.sort(out);
    return out;
  }
}
