package uniqcount.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uniqcount.broker.TerminalSignal;

/**
 * {@code uniqcount demo} starts the live page on the results topic and prints its URL once, and
 * stops cleanly on Ctrl-C.
 */
class DemoPageTest {
  @TempDir Path dir;

  @Test
  void theDemoPrintsTheUrlOfALivePageShowingItsResults() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    AtomicInteger exit = new AtomicInteger(-1);
    Thread demo = new Thread(() -> exit.set(Main.execute(new String[] {"demo", "--duration", "25s", "--rate", "200",
        "--users", "300", "--partitions", "1", "--http-port", "0"}, new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))), "test-demo");
    demo.start();
    Pattern url = Pattern.compile("uniqcount: live page at (http://127\\.0\\.0\\.1:\\d+/)\n");
    String page = null;
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (page == null && System.nanoTime() < deadline && demo.isAlive()) {
      Matcher m = url.matcher(err.toString(StandardCharsets.UTF_8));
      page = m.find() ? m.group(1) : null;
      Thread.sleep(50);
    }
    assertTrue(page != null, "no URL printed: " + err.toString(StandardCharsets.UTF_8));
    HttpClient http = HttpClient.newHttpClient();
    JsonNode windows = null;
    while (System.nanoTime() < deadline) {
      String body = http.send(HttpRequest.newBuilder(URI.create(page + "api/windows")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      windows = new ObjectMapper().readTree(body);
      if (windows.get("windows").get("minute").size() > 0 && windows.get("windows").get("year").size() > 0) {
        break;
      }
      Thread.sleep(200);
    }
    assertTrue(windows.get("windows").get("minute").size() > 0, "the page shows the demo's results: " + windows);
    assertTrue(windows.get("stats").get("source").asText().startsWith("topic results (1 partition) on 127.0.0.1:"),
        windows.get("stats").toString());
    assertEquals(0, windows.get("stats").get("foreign").asLong());
    demo.join(120_000);
    assertEquals(0, exit.get(), err.toString(StandardCharsets.UTF_8));
    String e = err.toString(StandardCharsets.UTF_8);
    assertEquals(e.indexOf("live page at"), e.lastIndexOf("live page at"), "printed once: " + e);
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("live page: " + page), "in the table's header too");
  }

  /**
   * A Ctrl-C at a terminal signals the whole foreground process group. The embedded broker was in
   * it, so it stopped at the same time as the demo, whose clients then failed ("The producer closed
   * forcefully", after ~15 s) instead of the demo stopping cleanly. Here the demo runs in a process
   * group of its own (setsid), and the whole group gets SIGINT, as from a terminal.
   */
  @Test
  void ctrlCStopsTheDemoAndThenItsBrokerCleanly() throws Exception {
    Path log = dir.resolve("demo.log");
    Process demo = TerminalSignal.startLeader(log, List.of(), Main.class.getName(),
        "demo", "--rate", "200", "--users", "300", "--partitions", "1", "--http-port", "0");
    try {
      long deadline = System.nanoTime() + 120_000_000_000L;
      Pattern records = Pattern.compile("\\n([1-9]\\d*) result records so far");
      while (!records.matcher(Files.readString(log)).find() && demo.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      String running = Files.readString(log);
      assertTrue(records.matcher(running).find(), "the demo counts: " + running);
      Matcher broker = Pattern.compile("Kafka 127\\.0\\.0\\.1:(\\d+) ").matcher(running);
      assertTrue(broker.find(), running);

      TerminalSignal.ctrlC(demo);
      assertTrue(demo.waitFor(60, TimeUnit.SECONDS), "the demo stops: " + Files.readString(log));
      String all = Files.readString(log);
      assertTrue(all.contains("uniqcount demo: stopping ..."), all);
      String stopping = all.substring(all.lastIndexOf("uniqcount demo: stopping ..."));
      assertTrue(stopping.contains("uniqcount demo: stopped; the broker is shut down and its data deleted"), stopping);
      assertTrue(!stopping.contains("failed"), stopping);
      assertTrue(demo.exitValue() == 130 || demo.exitValue() == 143, "128 + the signal, as for any program stopped by one: "
          + demo.exitValue());
      try (java.net.Socket s = new java.net.Socket()) {
        s.connect(new java.net.InetSocketAddress("127.0.0.1", Integer.parseInt(broker.group(1))), 2000);
        throw new AssertionError("the broker still listens after the demo ended");
      } catch (java.net.ConnectException e) {
        // stopped with the demo
      }
    } finally {
      if (demo.isAlive()) {
        demo.destroy(); // SIGTERM: its shutdown hook stops the broker
        if (!demo.waitFor(40, TimeUnit.SECONDS)) {
          demo.descendants().forEach(ProcessHandle::destroyForcibly); // the broker, in a session of its own
          demo.destroyForcibly();
        }
      }
    }
  }

  /** A Ctrl-C while the broker is starting ends the demo at once, and the broker with it. */
  @Test
  void ctrlCWhileTheBrokerStartsEndsTheDemoAndTheBroker() throws Exception {
    Path tmp = Files.createDirectory(dir.resolve("tmp")); // the broker's data directory, on its command line
    Path log = dir.resolve("demo.log");
    Process demo = TerminalSignal.startLeader(log, List.of("-Djava.io.tmpdir=" + tmp), Main.class.getName(),
        "demo", "--http-port", "0");
    try {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (brokers(tmp).isEmpty() && demo.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(!brokers(tmp).isEmpty(), "the broker starts: " + Files.readString(log));
      assertTrue(!Files.readString(log).contains("live page at"), "still starting: " + Files.readString(log));
      TerminalSignal.ctrlC(demo);
      // the broker's shutdown hook waits its grace (35 s) only for a demo that is stopping in order
      assertTrue(demo.waitFor(25, TimeUnit.SECONDS), "the demo ends: " + Files.readString(log));
      assertEquals(List.of(), brokers(tmp), "no broker left running");
    } finally {
      brokers(tmp).forEach(ProcessHandle::destroyForcibly);
      demo.destroyForcibly();
    }
  }

  /** The broker processes whose data is under {@code tmp}. */
  private static List<ProcessHandle> brokers(Path tmp) {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains("kafka.Kafka") && c.contains(tmp.toString())).orElse(false))
        .toList();
  }
}
