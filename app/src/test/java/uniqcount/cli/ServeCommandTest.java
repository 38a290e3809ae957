package uniqcount.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uniqcount.emit.ResultRecord;

/** {@code uniqcount serve} over a real HTTP server: a followed file, its API, its events, and bad input. */
class ServeCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long T0 = Instant.parse("2016-07-11T13:39:00Z").getEpochSecond();

  @TempDir
  Path dir;

  private static String line(String window, long start, long end, long uniques, ResultRecord.Status status, int revision) {
    return new ResultRecord(window, start, end, uniques, uniques + 5, status, revision, "exact", 0).toJson() + "\n";
  }

  private static void append(Path file, String text) throws Exception {
    Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
  }

  private static void assertOneClearLine(Cli.Run r, String expected) {
    assertEquals(expected + "\n", r.err, "one line, nothing else");
    assertFalse(r.err.contains("Exception") || r.err.contains("\tat "), r.err);
  }

  @Test
  void aResultsFileIsFollowedAsItGrowsAndOnlyCompleteLinesCount() throws Exception {
    Path results = dir.resolve("results.jsonl");
    String partial = line("minute", T0 + 60, T0 + 120, 7, ResultRecord.Status.EARLY, 0);
    Files.writeString(results, line("minute", T0, T0 + 60, 10, ResultRecord.Status.EARLY, 0)
        + line("minute", T0, T0 + 60, 12, ResultRecord.Status.FINAL, 1)
        + line("hour", T0 - 39 * 60, T0 + 21 * 60, 12, ResultRecord.Status.EARLY, 0)
        + partial.substring(0, 40));
    try (ServeRun serve = new ServeRun("--input", results.toString(), "--http-port", "0")) {
      assertTrue(serve.url().matches("http://127\\.0\\.0\\.1:\\d+/"), serve.url());
      JsonNode first = serve.awaitJson("/api/windows", j -> j.get("stats").get("read").asLong() == 3);
      assertEquals(1, first.get("windows").get("minute").size());
      assertEquals(12, first.get("windows").get("minute").get(0).get("uniques").asLong());
      assertEquals("final", first.get("windows").get("minute").get(0).get("status").asText());
      Thread.sleep(600); // several polls of the file: the partial line must still wait
      assertEquals(3, serve.json("/api/windows").get("stats").get("read").asLong());

      append(results, partial.substring(40) + "{\"not\":\"a result\"}\n" + line("minute", T0, T0 + 60, 13,
          ResultRecord.Status.UPDATE, 2));
      JsonNode grown = serve.awaitJson("/api/windows", j -> j.get("stats").get("read").asLong() == 6);
      JsonNode minutes = grown.get("windows").get("minute");
      assertEquals("minute/2016-07-11T13:40:00Z", minutes.get(0).get("key").asText(), "newest first");
      assertEquals(7, minutes.get(0).get("uniques").asLong());
      assertEquals("update", minutes.get(1).get("status").asText());
      assertEquals(13, minutes.get(1).get("uniques").asLong());
      assertEquals(1, grown.get("stats").get("foreignByReason").get("missing_field").asLong());
      assertEquals("file " + results, grown.get("stats").get("source").asText());

      assertEquals(1, serve.json("/api/windows?window=minute&limit=1").get("windows").get("minute").size());
      assertEquals(400, serve.get("/api/windows?window=fortnight").statusCode());
      assertEquals(400, serve.get("/api/windows?hours=-1").statusCode());
      assertEquals("ok\n", serve.get("/healthz").body());
      assertEquals(404, serve.get("/etc/passwd").statusCode());
      assertEquals(404, serve.get("/assets/../../pom.xml").statusCode());
      HttpResponse<String> page = serve.get("/");
      assertTrue(page.body().contains("<div id=\"chart\""), page.body());
      assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("script-src 'self'"));
      HttpResponse<String> uplot = serve.get("/assets/uplot/uPlot.iife.min.js");
      assertEquals(200, uplot.statusCode());
      assertTrue(uplot.body().contains("uPlot"), "uPlot from its WebJar, from the jar");
      HttpResponse<String> post = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(serve.url() + "api/windows"))
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(405, post.statusCode());
      assertEquals(0, serve.stop());
    }
  }

  @Test
  void theEventStreamSendsTheViewAtOnceAndAgainAfterAChange() throws Exception {
    Path results = dir.resolve("results.jsonl");
    Files.writeString(results, line("minute", T0, T0 + 60, 10, ResultRecord.Status.EARLY, 0));
    try (ServeRun serve = new ServeRun("--input", results.toString(), "--http-port", "0")) {
      serve.awaitJson("/api/windows", j -> j.get("stats").get("read").asLong() == 1);
      HttpResponse<InputStream> events = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create(serve.url() + "api/events")).build(), HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, events.statusCode());
      assertTrue(events.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
      try (BufferedReader in = new BufferedReader(new InputStreamReader(events.body(), StandardCharsets.UTF_8))) {
        JsonNode first = nextEvent(in);
        assertEquals(10, first.get("windows").get("minute").get(0).get("uniques").asLong());
        append(results, line("minute", T0, T0 + 60, 11, ResultRecord.Status.FINAL, 1));
        JsonNode next = nextEvent(in);
        while (next.get("windows").get("minute").get(0).get("revision").asInt() < 1) {
          next = nextEvent(in); // a change of the stats alone may come first
        }
        assertEquals(11, next.get("windows").get("minute").get(0).get("uniques").asLong());
        assertEquals("final", next.get("windows").get("minute").get(0).get("status").asText());
      }
      assertEquals(0, serve.stop(), serve.err());
    }
  }

  private static JsonNode nextEvent(BufferedReader in) throws Exception {
    String l;
    while ((l = in.readLine()) != null) {
      if (l.startsWith("data: ")) {
        return JSON.readTree(l.substring(6));
      }
    }
    throw new AssertionError("the event stream ended");
  }

  @Test
  void standardInputIsReadToItsEndAndStillServed() throws Exception {
    byte[] in = (line("day", T0 - 13 * 3600 - 39 * 60, T0 + 11 * 3600 - 39 * 60 + 3600, 99, ResultRecord.Status.FINAL, 0)
        + "trailing garbage without a line feed").getBytes(StandardCharsets.UTF_8);
    try (ServeRun serve = new ServeRun(new ByteArrayInputStream(in), "--input", "-", "--http-port", "0")) {
      JsonNode j = serve.awaitJson("/api/windows", x -> x.get("stats").get("source").asText().equals("stdin (ended)"));
      assertEquals(99, j.get("windows").get("day").get(0).get("uniques").asLong());
      assertEquals(1, j.get("stats").get("foreignByReason").get("not_json").asLong());
      assertTrue(serve.alive(), "the page stays up after the input ended");
    }
  }

  @Test
  void aTakenPortIsOneClearLine() throws Exception {
    Path results = Files.writeString(dir.resolve("r.jsonl"), "");
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      Cli.Run r = Cli.run("serve", "--input", results.toString(), "--http-port", String.valueOf(taken.getLocalPort()));
      assertEquals(1, r.exit);
      assertOneClearLine(r, "uniqcount serve: cannot listen on 127.0.0.1:" + taken.getLocalPort()
          + ": the port is in use (choose another with --http-port)");
    }
  }

  @Test
  void aPrivilegedPortIsOneClearLine() throws Exception {
    boolean mayBind;
    try (ServerSocket s = new ServerSocket(1, 1, InetAddress.getByName("127.0.0.1"))) {
      mayBind = true;
    } catch (java.net.BindException e) {
      mayBind = !String.valueOf(e.getMessage()).contains("ermission");
    }
    Assumptions.assumeFalse(mayBind, "this user may bind port 1 (root, or a low net.ipv4.ip_unprivileged_port_start)");
    Path results = Files.writeString(dir.resolve("r.jsonl"), "");
    Cli.Run r = Cli.run("serve", "--input", results.toString(), "--http-port", "1");
    assertEquals(1, r.exit);
    assertOneClearLine(r, "uniqcount serve: cannot listen on 127.0.0.1:1: permission denied "
        + "(ports below 1024 need privileges; choose another with --http-port)");
  }

  @Test
  void badCommandLinesAndMissingFilesAreOneClearLine() throws Exception {
    Cli.Run none = Cli.run("serve", "--http-port", "0");
    assertEquals(2, none.exit);
    assertOneClearLine(none, "uniqcount serve: give either --topic (with --bootstrap-servers) or --input");
    Cli.Run port = Cli.run("serve", "--input", "x", "--http-port", "70000");
    assertEquals(2, port.exit);
    assertOneClearLine(port, "uniqcount serve: --http-port must be between 0 and 65535, got 70000");
    Path missing = dir.resolve("missing.jsonl");
    Cli.Run file = Cli.run("serve", "--input", missing.toString(), "--http-port", "0");
    assertEquals(1, file.exit);
    assertOneClearLine(file, "uniqcount serve: --input " + missing + ": no such file");
    Cli.Run host = Cli.run("serve", "--input", Files.writeString(dir.resolve("r.jsonl"), "").toString(),
        "--http-port", "0", "--http-host", "no-such-host.invalid");
    assertEquals(2, host.exit);
    assertOneClearLine(host, "uniqcount serve: --http-host: unknown host 'no-such-host.invalid'");
  }
}
