package uniqcount.cli;

import java.io.InputStream;
import java.io.PrintStream;

/** The process's standard streams, injected so tests run commands in-process. */
final class Io {
  final InputStream in;
  final PrintStream out;
  final PrintStream err;

  Io(InputStream in, PrintStream out, PrintStream err) {
    this.in = in;
    this.out = out;
    this.err = err;
  }
}
