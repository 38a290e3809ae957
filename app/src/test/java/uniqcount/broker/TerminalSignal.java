package uniqcount.broker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * A child JVM run as from a terminal: leading a process group of its own (started through
 * {@code setsid}), which gets what a terminal sends its foreground group on Ctrl-C.
 */
public final class TerminalSignal {
  private TerminalSignal() {
  }

  /**
   * Starts {@code mainClass} with {@code args} in a JVM on this test's class path and broker jars,
   * with {@code jvmOptions}, leading a process group of its own; its stdout and stderr go to {@code
   * log}. The test is skipped where there is no {@code setsid}.
   */
  public static Process startLeader(Path log, List<String> jvmOptions, String mainClass, String... args)
      throws IOException {
    Assumptions.assumeTrue(EmbeddedKafka.SETSID != null, "no setsid to give the program a process group of its own");
    List<String> cmd = new ArrayList<>(List.of(EmbeddedKafka.SETSID.toString(), ProcessHandle.current().info().command().orElse("java"),
        "-Duniqcount.broker.lib=" + System.getProperty("uniqcount.broker.lib"), "-cp", System.getProperty("java.class.path")));
    cmd.addAll(jvmOptions);
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /**
   * SIGINT to the group {@code leader} leads; SIGTERM, to the same group, where this JVM was started
   * with SIGINT ignored (a build run in the background of a script): its children then ignore it
   * too, and would never stop. Either signal reaches every process of the group at once.
   */
  public static void ctrlC(Process leader) throws IOException, InterruptedException {
    String signal = sigintIgnoredHere() ? "TERM" : "INT";
    Process kill = new ProcessBuilder("kill", "-" + signal, "--", "-" + leader.pid()).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -" + signal + " -" + leader.pid() + " failed: the process does not lead its group");
    }
  }

  private static boolean sigintIgnoredHere() throws IOException {
    for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
      if (line.startsWith("SigIgn:")) {
        return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 1)) != 0; // bit n-1 for signal n
      }
    }
    return false;
  }
}
