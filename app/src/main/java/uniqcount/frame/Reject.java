package uniqcount.frame;

/** Why a frame was not counted. Every rejected frame is counted under exactly one reason. */
public enum Reject {
  /** An empty line, or one holding only whitespace. */
  EMPTY("empty"),
  /** The line is valid-looking input but its root is not a JSON object. */
  NOT_OBJECT("not_object"),
  /** A syntax error: an unexpected byte, a bad escape, a control character, trailing data. */
  MALFORMED("malformed"),
  /** The input ended inside the root object. */
  TRUNCATED("truncated"),
  /** Nested deeper than {@link FrameDecoder#MAX_DEPTH}. */
  TOO_DEEP("too_deep"),
  /** Longer than the frame size limit. */
  TOO_LARGE("too_large"),
  /** The root object has no uid field. */
  MISSING_UID("missing_uid"),
  /** The root object has no ts field. */
  MISSING_TS("missing_ts"),
  /** The root uid is not a JSON string. */
  UID_NOT_STRING("uid_not_string"),
  /** The root ts is neither a JSON integer nor a string of decimal digits. */
  TS_NOT_INTEGER("ts_not_integer"),
  /** The root ts is an integer outside years 1..9999 (or does not fit in a long). */
  TS_OUT_OF_RANGE("ts_out_of_range");

  private static final Reject[] VALUES = values();

  private final String label;

  Reject(String label) {
    this.label = label;
  }

  /** The name used in stats output, e.g. {@code missing_uid}. */
  public String label() {
    return label;
  }

  /** Number of reasons; reasons are indexed by {@link #ordinal()}. */
  public static int count() {
    return VALUES.length;
  }

  /** The reason with the given ordinal. */
  public static Reject of(int ordinal) {
    return VALUES[ordinal];
  }
}
