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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code uniqcount demo} starts the live page on the results topic and prints its URL once. */
class DemoPageTest {
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
}
