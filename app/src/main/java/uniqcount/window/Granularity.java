package uniqcount.window;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import uniqcount.UserException;

/** The calendar windows a frame is counted in; declared (and emitted) from finest to coarsest. */
public enum Granularity {
  MINUTE("minute", 60),
  HOUR("hour", 3600),
  DAY("day", 0),
  /** ISO week: starts on Monday. */
  WEEK("week", 0),
  MONTH("month", 0),
  YEAR("year", 0);

  private final String label;
  private final int fixedSeconds;

  Granularity(String label, int fixedSeconds) {
    this.label = label;
    this.fixedSeconds = fixedSeconds;
  }

  /** The name on the command line and in result records. */
  public String label() {
    return label;
  }

  /** Length in seconds for minute and hour (which follow the zone's offset); 0 for the others. */
  int fixedSeconds() {
    return fixedSeconds;
  }

  /**
   * Parses a comma-separated list such as {@code minute,hour,day}.
   *
   * @throws UserException naming the unknown window
   */
  public static EnumSet<Granularity> parseList(String list) {
    EnumSet<Granularity> result = EnumSet.noneOf(Granularity.class);
    for (String part : list.split(",", -1)) {
      String name = part.trim().toLowerCase(Locale.ROOT);
      Granularity found = null;
      for (Granularity g : values()) {
        if (g.label.equals(name)) {
          found = g;
        }
      }
      if (found == null) {
        throw UserException.usage(
            "--windows: unknown window '" + part.trim() + "' (choose from " + names() + ")");
      }
      result.add(found);
    }
    return result;
  }

  /** The granularity with this label, or null. */
  public static Granularity byLabel(String label) {
    for (Granularity g : values()) {
      if (g.label.equals(label)) {
        return g;
      }
    }
    return null;
  }

  /** All labels, comma-separated. */
  public static String names() {
    List<String> names = new ArrayList<>();
    for (Granularity g : values()) {
      names.add(g.label);
    }
    return String.join(",", names);
  }
}
