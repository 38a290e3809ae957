package uniqcount.source;

import java.io.IOException;

/** An input that cannot be opened or read; the message is fit for the user as it is. */
public final class InputException extends IOException {
  private static final long serialVersionUID = 1L;

  /** An error with a user-facing message. */
  public InputException(String message, Throwable cause) {
    super(message, cause);
  }

  /** An error with a user-facing message. */
  public InputException(String message) {
    super(message);
  }
}
