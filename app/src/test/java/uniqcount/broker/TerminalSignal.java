package uniqcount.broker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * What a terminal sends its foreground process group on Ctrl-C, sent to the group a process leads
 * (started through {@code setsid}).
 */
public final class TerminalSignal {
  private TerminalSignal() {
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
