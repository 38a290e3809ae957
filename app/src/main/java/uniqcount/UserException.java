package uniqcount;

/**
 * A problem the user can fix, with a message fit to print as it is (one line, no stack trace):
 * a bad command line ({@link Kind#USAGE}, exit status 2) or a run that failed on its input,
 * output, cluster or checkpoint ({@link Kind#FAILURE}, exit status 1). Every package throws this
 * one type for such problems; anything else that escapes a run is an internal error.
 */
public final class UserException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, and the exit status it gives. */
  public enum Kind {
    /** A bad option or option value: nothing was started. */
    USAGE(2),
    /** An input, output, cluster or checkpoint failed while running. */
    FAILURE(1);

    private final int exitStatus;

    Kind(int exitStatus) {
      this.exitStatus = exitStatus;
    }

    /** The process exit status for this kind. */
    public int exitStatus() {
      return exitStatus;
    }
  }

  private final Kind kind;

  private UserException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  /** A bad command line: the message names the option, the value and what is allowed. */
  public static UserException usage(String message) {
    return new UserException(Kind.USAGE, message, null);
  }

  /** A run-time failure the user can act on. */
  public static UserException failure(String message) {
    return new UserException(Kind.FAILURE, message, null);
  }

  /** A run-time failure the user can act on, with its cause (shown with UNIQCOUNT_DEBUG=1). */
  public static UserException failure(String message, Throwable cause) {
    return new UserException(Kind.FAILURE, message, cause);
  }

  /** Usage or failure. */
  public Kind kind() {
    return kind;
  }
}
