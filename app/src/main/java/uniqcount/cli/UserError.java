package uniqcount.cli;

/** A problem the user can fix (a bad option value, an output that cannot be written): one line, no stack trace. */
final class UserError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UserError(String message) {
    super(message);
  }

  UserError(String message, Throwable cause) {
    super(message, cause);
  }
}
