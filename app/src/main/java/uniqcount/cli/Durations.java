package uniqcount.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import uniqcount.UserException;

/**
 * Parses durations as users write them: {@code 500ms}, {@code 5s}, {@code 10m}, {@code 2h}, {@code
 * 7d}, or ISO {@code PT5S}; at most {@link #MAX} (100 years), so that no sum or conversion of them
 * (seconds plus horizons, nanoseconds) can overflow.
 */
final class Durations {
  /** The longest duration any option takes: 100 years. */
  static final Duration MAX = Duration.ofDays(36_500);
  private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

  private Durations() {}

  static Duration parse(String option, String text) {
    Duration d = parseUnbounded(option, text);
    if (d.compareTo(MAX) > 0) {
      throw UserException.usage(option + ": at most 36500d (100 years), got '" + text + "'");
    }
    return d;
  }

  private static Duration parseUnbounded(String option, String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    Matcher m = SIMPLE.matcher(t);
    if (m.matches()) {
      long n;
      try {
        n = Long.parseLong(m.group(1));
        switch (m.group(2)) {
          case "ms":
            return Duration.ofMillis(n);
          case "s":
            return Duration.ofSeconds(n);
          case "m":
            return Duration.ofMinutes(n);
          case "h":
            return Duration.ofHours(n);
          default:
            return Duration.ofDays(n);
        }
      } catch (NumberFormatException | ArithmeticException e) {
        throw UserException.usage(option + ": at most 36500d (100 years), got '" + text + "'");
      }
    }
    if (t.equals("0")) {
      return Duration.ZERO;
    }
    try {
      Duration d = Duration.parse(text.trim().toUpperCase(Locale.ROOT));
      if (d.isNegative()) {
        throw UserException.usage(option + ": duration must not be negative, got '" + text + "'");
      }
      return d;
    } catch (DateTimeParseException e) {
      throw UserException.usage(
          option + ": '" + text + "' is not a duration (write e.g. 500ms, 5s, 10m, 2h, 7d)");
    }
  }
}
