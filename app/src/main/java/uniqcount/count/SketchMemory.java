package uniqcount.count;

/**
 * Loads DataSketches Memory on every JDK this program runs on. Its release 3.0.2 (the one
 * datasketches-java 6.2 uses, the last for Java 17) parses the {@code java.version} property in a
 * static initialiser and refuses any JDK but 8, 11, 17 and 21, and any version string whose first
 * field is not a plain number ({@code 21-ea}). On JDK 25 that failed every estimate of a dense
 * {@code hll} window, every query over several windows and every check of a sketch read back
 * (reported upstream as apache/datasketches-memory#270; no release fixes it yet). Its heap paths,
 * the only ones used here, run unchanged on later JDKs, and the version it parses feeds nothing but
 * its {@code toString}. So while that class initialises, once, it is shown the plain feature
 * version it knows nearest to the real one; {@link #load} is called first thing in {@code Main},
 * before any thread of ours could read the property.
 */
public final class SketchMemory {
  private static final String CHECKED_CLASS = "org.apache.datasketches.memory.internal.ResourceImpl";

  private SketchMemory() {}

  /**
   * Makes sure DataSketches Memory is initialised (at most once; cheap after that). Any thread.
   *
   * @throws LinkageError if it cannot be (a broken class path)
   */
  public static void load() {
    Holder.touch();
  }

  /** The {@code java.version} DataSketches Memory 3.0.2 is shown on JDK {@code feature}: one it accepts. */
  static String shownVersion(int feature) {
    return feature >= 21 ? "21" : "17";
  }

  /** Runs {@code action} with the {@code java.version} property set to {@code shown}, then restores it. */
  static void withJavaVersion(String shown, Runnable action) {
    String real = System.getProperty("java.version");
    System.setProperty("java.version", shown);
    try {
      action.run();
    } finally {
      System.setProperty("java.version", real);
    }
  }

  private static final class Holder {
    static {
      withJavaVersion(shownVersion(Runtime.version().feature()), () -> {
        try {
          Class.forName(CHECKED_CLASS, true, SketchMemory.class.getClassLoader());
        } catch (ClassNotFoundException e) {
          throw new IllegalStateException("DataSketches Memory is not on the class path", e);
        }
      });
    }

    static void touch() {}
  }
}
