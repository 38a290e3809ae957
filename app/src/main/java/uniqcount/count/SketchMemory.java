package uniqcount.count;

/**
 * Loads DataSketches Memory on every JDK this program runs on. Its release 3.0.2 (the one
 * datasketches-java 6.2 uses, the last for Java 17) refuses any JDK but 8, 11, 17 and 21 by the
 * version string alone — "Unsupported JDK Major Version", so every {@code hll} estimate failed on
 * JDK 25 (apache/datasketches-memory#270; the fix, which adds 25 to that list and changes nothing
 * else, is merged upstream but not released). Its heap paths, the only ones used here, run
 * unchanged on later JDKs. So on a JDK its check does not know, the check is shown the nearest
 * version it knows while its class initialises, once, before any thread of ours reads the property.
 */
public final class SketchMemory {
  private static final String CHECKED_CLASS = "org.apache.datasketches.memory.internal.ResourceImpl";

  private SketchMemory() {}

  /** Makes sure DataSketches Memory is initialised (at most once; cheap after that). Any thread. */
  public static void load() {
    Holder.touch();
  }

  /** The version DataSketches Memory 3.0.2 is shown on JDK {@code feature}, or null for the real one. */
  static String shownVersion(int feature) {
    if (feature == 17 || feature == 21) {
      return null;
    }
    return feature > 21 ? "21" : "17";
  }

  private static final class Holder {
    static {
      String shown = shownVersion(Runtime.version().feature());
      ClassLoader loader = SketchMemory.class.getClassLoader();
      try {
        if (shown == null) {
          Class.forName(CHECKED_CLASS, true, loader);
        } else {
          String real = System.getProperty("java.version");
          System.setProperty("java.version", shown);
          try {
            Class.forName(CHECKED_CLASS, true, loader);
          } finally {
            System.setProperty("java.version", real);
          }
        }
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("DataSketches Memory is not on the class path", e);
      }
    }

    static void touch() {}
  }
}
