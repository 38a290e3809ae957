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
  /**
   * One clear line for a server address that cannot be bound (in use, not allowed, not an address
   * of this machine), naming the options that choose it.
   *
   * @param portOption the option that chose the port, e.g. {@code --http-port}
   * @param hostOption the option that chose the host
   */
  public static UserException cannotListen(String portOption, String hostOption, String host, int port,
      java.io.IOException e) {
    String m = String.valueOf(e.getMessage());
    String where = "cannot listen on " + host + ":" + port + ": ";
    if (m.contains("in use")) {
      return failure(where + "the port is in use (choose another with " + portOption + ")", e);
    }
    if (m.contains("ermission denied") || m.contains("ccess denied")) {
      return failure(where + "permission denied (ports below 1024 need privileges; choose another with " + portOption + ")", e);
    }
    if (m.contains("assign requested address")) {
      return failure(where + "no network interface of this machine has that address (check " + hostOption + ")", e);
    }
    return failure(where + m, e);
  }

  public Kind kind() {
    return kind;
  }
}
