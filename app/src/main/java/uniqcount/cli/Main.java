package uniqcount.cli;

import java.io.InputStream;
import java.io.PrintStream;
import picocli.CommandLine.Command;
import picocli.CommandLine;
import uniqcount.UserException;
import uniqcount.count.SketchMemory;
import uniqcount.engine.Job;

/** Entry point: {@code uniqcount count|generate|demo|bench ...}. */
@Command(
    name = "uniqcount",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Distinct users per calendar window (minute, hour, day, week, month, year) from JSON frames.",
    synopsisSubcommandLabel = "COMMAND")
public final class Main implements java.util.concurrent.Callable<Integer> {
  /** Exit status of a run that failed on its input or output, or of an internal error. */
  static final int EXIT_FAILURE = UserException.Kind.FAILURE.exitStatus();
  /** Exit status of a bad command line. */
  static final int EXIT_USAGE = UserException.Kind.USAGE.exitStatus();

  static {
    // Kafka clients log through SLF4J: silent unless UNIQCOUNT_LOG=error|warn|info|debug. Their
    // failures reach the user as one line each (a client's own error log is a stack trace that
    // hides the cause).
    String level = System.getenv("UNIQCOUNT_LOG");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level == null ? "off" : level);
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
  }

  private final Job.Streams io;

  private Main(Job.Streams io) {
    this.io = io;
  }

  /** Runs the command line and exits with its status. */
  public static void main(String[] args) {
    System.exit(execute(args, System.in, System.out, System.err));
  }

  /** Runs the command line on the given streams; returns the exit status. */
  public static int execute(String[] args, InputStream in, PrintStream out, PrintStream err) {
    try {
      SketchMemory.load(); // before any thread starts: see there
    } catch (LinkageError e) {
      // a broken class path: commands without hll sketches still run, and hll reports it where it needs them
    }
    Job.Streams io = new Job.Streams(in, out, err);
    CommandLine cl = new CommandLine(new Main(io));
    cl.addSubcommand("count", new CountCommand(io));
    cl.addSubcommand("generate", new GenerateCommand(io));
    cl.addSubcommand("demo", new DemoCommand(io));
    cl.addSubcommand("bench", new BenchCommand(io));
    cl.addSubcommand("serve", new ServeCommand(io));
    cl.addSubcommand("query", new QueryCommand(io));
    cl.setOut(new java.io.PrintWriter(out, true));
    cl.setErr(new java.io.PrintWriter(err, true));
    cl.setParameterExceptionHandler(
        (ex, argv) -> {
          String command = ex.getCommandLine().getCommandName();
          String path = command.equals("uniqcount") ? "uniqcount" : "uniqcount " + command;
          err.println(path + ": " + printable(ex.getMessage()) + " (see '" + path + " --help')");
          return EXIT_USAGE;
        });
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          String path = "uniqcount " + commandLine.getCommandName();
          boolean debug = System.getenv("UNIQCOUNT_DEBUG") != null;
          if (ex instanceof UserException) {
            UserException u = (UserException) ex;
            err.println(path + ": " + printable(u.getMessage()));
            if (debug && u.getCause() != null) {
              u.printStackTrace(err);
            }
            return u.kind().exitStatus();
          }
          err.println(path + ": internal error: " + printable(String.valueOf(ex)) + " (set UNIQCOUNT_DEBUG=1 for the stack trace)");
          if (debug) {
            ex.printStackTrace(err);
          }
          return EXIT_FAILURE;
        });
    return cl.execute(args);
  }

  /**
   * The text with control and bidirectional-formatting characters escaped ({@code \\u000a}), so
   * that a crafted file name cannot forge or hide a line of the log it is printed to.
   */
  static String printable(String text) {
    StringBuilder sb = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || c >= 0x80 && c <= 0x9f || c >= 0x202a && c <= 0x202e || c >= 0x2066 && c <= 0x2069) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  @Override
  public Integer call() {
    io.err().println("uniqcount: give a command: count, serve, query, generate, demo or bench (see 'uniqcount --help')");
    return EXIT_USAGE;
  }

  /** Version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"uniqcount " + (v == null ? "dev" : v)};
    }
  }
}
