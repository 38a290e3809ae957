package uniqcount.frame;

import java.util.Locale;

/**
 * Classifies 64 bytes at a time for {@link FrameDecoder}'s fast path (the first stage of a
 * simdjson-style scan): one bit per byte for quotes, backslashes and bytes below 0x20.
 *
 * <p>Two implementations: {@link SwarBlockScanner} (eight bytes per step in a {@code long}) and
 * {@code VectorBlockScanner} (the incubating Vector API: fast on JDK 21 and later, about ten times
 * slower on JDK 17). {@link #choose} picks at run time. Measured (docs/PERFORMANCE.md), the fast
 * pass only pays with the Vector API: on JDK 17 the SWAR fast pass is slower than the exact pass
 * alone, so {@code auto} there means no fast pass at all.
 */
public abstract class BlockScanner {
  /** Index of the quote mask in {@link #scan}'s output. */
  static final int QUOTES = 0;
  /** Index of the backslash mask. */
  static final int BACKSLASHES = 1;
  /** Index of the mask of bytes below 0x20 (control characters). */
  static final int CONTROLS = 2;

  /** How the scanner is picked: {@code auto}, {@code swar}, {@code vector}, or {@code exact} (none). */
  public enum Choice {
    AUTO,
    SWAR,
    VECTOR,
    EXACT
  }

  /** A short name for stats and benchmarks: {@code swar} or {@code vector-512} (bits per vector). */
  public abstract String name();

  /** True if this scanner has vectors of at least 256 bits in hardware (always true for SWAR). */
  boolean wideVectors() {
    return true;
  }

  /**
   * Classifies {@code b[pos, pos + 64)} (all inside the array): bit i of {@code out[QUOTES]} is set
   * if byte {@code pos + i} is a quote, and likewise for backslashes and control characters.
   */
  abstract void scan(byte[] b, int pos, long[] out);

  /**
   * The scanner for this JVM, or null for none (the decoder's exact pass alone). {@code AUTO}
   * takes the Vector API where it is fast (JDK 21 or later, module {@code jdk.incubator.vector}
   * added, vectors of at least 256 bits, a self-test passed), otherwise none. {@code VECTOR}
   * insists and fails with a clear message when the Vector API is not available.
   */
  public static BlockScanner choose(Choice choice) {
    return choose(choice, false);
  }

  /**
   * As {@link #choose(Choice)}, for a decoder that trusts its input: then {@code AUTO} means no fast
   * pass, because the exact pass stops sooner once it has the root fields (measured:
   * docs/PERFORMANCE.md).
   */
  public static BlockScanner choose(Choice choice, boolean trustInput) {
    if (choice == Choice.AUTO && trustInput) {
      return null;
    }
    if (choice == Choice.SWAR) {
      return new SwarBlockScanner();
    }
    if (choice == Choice.EXACT) {
      return null;
    }
    boolean wanted = choice == Choice.VECTOR || Runtime.version().feature() >= 21;
    if (wanted) {
      String why = vectorUnavailable();
      if (why == null) {
        try {
          BlockScanner vector = (BlockScanner) Class.forName("uniqcount.frame.VectorBlockScanner")
              .getDeclaredConstructor().newInstance();
          if (!agreesWithSwar(vector)) {
            why = "the Vector API scanner disagrees with SWAR on this JVM";
          } else if (choice == Choice.VECTOR || vector.wideVectors()) {
            return vector;
          }
        } catch (ReflectiveOperationException | LinkageError e) {
          why = "the Vector API could not be loaded: " + e;
        }
      }
      if (choice == Choice.VECTOR && why != null) {
        throw new IllegalStateException("--scanner vector: " + why);
      }
    }
    return null;
  }

  /** The name of a scanner for stats: {@code exact} for none. */
  public static String name(BlockScanner scanner) {
    return scanner == null ? "exact" : scanner.name();
  }

  /** The scanner picked by {@code -Duniqcount.scanner=auto|swar|vector|exact} (default auto), or null. */
  public static BlockScanner fromSystemProperty() {
    return choose(Choice.valueOf(System.getProperty("uniqcount.scanner", "auto").toUpperCase(Locale.ROOT)));
  }

  /**
   * A self-test on every byte value at every lane, run once: it also links every Vector API
   * member the scanner uses, so an API that changed between incubator releases fails here
   * (and SWAR is used) rather than in the middle of a run.
   */
  private static boolean agreesWithSwar(BlockScanner candidate) {
    BlockScanner swar = new SwarBlockScanner();
    byte[] b = new byte[256 + 64];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i * 7 + (i >>> 8));
    }
    long[] expected = new long[3];
    long[] actual = new long[3];
    for (int pos = 0; pos + 64 <= b.length; pos += 5) {
      swar.scan(b, pos, expected);
      candidate.scan(b, pos, actual);
      if (!java.util.Arrays.equals(expected, actual)) {
        return false;
      }
    }
    return true;
  }

  private static String vectorUnavailable() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return "the JVM was started without --add-modules jdk.incubator.vector";
    }
    return null;
  }
}
