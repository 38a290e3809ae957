package uniqcount.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded broker is started out of reach of the terminal's signals, and is still the process
 * this one stops: both ways of starting it exec the command (checked with {@code /proc} on a shell
 * started as the broker would be). Since a Ctrl-C no longer reaches it, the JVM that started it
 * stops it when it exits.
 */
class DetachedBrokerTest {
  @TempDir Path dir;

  @Test
  void aProgramStoppedByCtrlCTakesItsBrokerAlong() throws Exception {
    Path log = dir.resolve("holder.log");
    Process holder = TerminalSignal.startLeader(log, List.of(), BrokerHolder.class.getName());
    Optional<ProcessHandle> broker = Optional.empty();
    try {
      Matcher m = Pattern.compile("broker (\\d+) (\\d+)").matcher("");
      long deadline = System.nanoTime() + 90_000_000_000L;
      while (!m.reset(Files.readString(log)).find() && holder.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertTrue(m.find(0), "the broker started: " + Files.readString(log));
      broker = ProcessHandle.of(Long.parseLong(m.group(1)));
      assertTrue(broker.isPresent() && broker.get().isAlive());

      TerminalSignal.ctrlC(holder);
      assertTrue(holder.waitFor(60, TimeUnit.SECONDS), "the program ends on Ctrl-C: " + Files.readString(log));
      assertFalse(broker.get().isAlive(), "its broker ended with it");
    } finally {
      holder.destroyForcibly();
      broker.ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void withSetsidTheCommandLeadsASessionOfItsOwn() throws Exception {
    Assumptions.assumeTrue(EmbeddedKafka.SETSID != null && Files.isDirectory(Paths.get("/proc/self")), "no setsid or /proc");
    Process p = new ProcessBuilder(EmbeddedKafka.detached(List.of("/bin/sh", "-c", "cat /proc/$$/stat"), EmbeddedKafka.SETSID))
        .start();
    long[] stat = stat(p);
    assertEquals(p.pid(), stat[0], "the process started is the command itself");
    assertEquals(p.pid(), stat[2], "its own process group: a Ctrl-C at the terminal does not reach it");
    assertEquals(p.pid(), stat[3], "its own session");
    long ours = ProcessHandle.current().pid();
    assertTrue(stat[3] != stat(new ProcessBuilder("/bin/sh", "-c", "cat /proc/" + ours + "/stat").start())[3]);
  }

  @Test
  void withoutSetsidTheCommandIgnoresSigint() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Paths.get("/bin/sh")) && Files.isDirectory(Paths.get("/proc/self")), "no /bin/sh or /proc");
    Process p = new ProcessBuilder(EmbeddedKafka.detached(
        List.of("/bin/sh", "-c", "kill -INT $$; sleep 0.2; cat /proc/$$/stat"), null)).start();
    long[] stat = stat(p); // a shell killed by its SIGINT prints nothing
    assertEquals(p.pid(), stat[0], "the process started is the command itself");
    assertEquals(0, p.exitValue());
  }

  /** pid, parent, process group and session of the process whose /proc/PID/stat {@code p} prints. */
  private static long[] stat(Process p) throws IOException, InterruptedException {
    String line = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertTrue(line.contains(") "), "no stat printed (exit " + p.exitValue() + "): '" + line + "'");
    String[] after = line.substring(line.lastIndexOf(") ") + 2).split(" ");
    return new long[] {Long.parseLong(line.substring(0, line.indexOf(' '))), Long.parseLong(after[1]),
        Long.parseLong(after[2]), Long.parseLong(after[3])};
  }
}
