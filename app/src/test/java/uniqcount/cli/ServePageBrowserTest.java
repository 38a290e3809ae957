package uniqcount.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import uniqcount.gen.GeneratorOptions;
import uniqcount.reference.ReferenceCounts;
import uniqcount.reference.GeneratedFrames;

/**
 * The live page in a real browser (Debian's headless chromium through chromedriver): a real
 * {@code count} job writes its results to a file while {@code serve} follows it; the page must
 * show what the job published while it runs, then the reference's exact counts once it ends —
 * updated live, without a reload — and show every string from the data as text.
 *
 * <p>Skipped when chromium or chromedriver is missing, unless {@code UNIQCOUNT_REQUIRE_BROWSER=1}
 * (as {@code .ci/run} sets), which makes that a failure.
 */
class ServePageBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final String[] KINDS = {"minute", "hour", "day", "week", "month", "year"};

  @TempDir
  Path dir;

  private static void requireBrowser() {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if (!present && "1".equals(System.getenv("UNIQCOUNT_REQUIRE_BROWSER"))) {
      throw new AssertionError("UNIQCOUNT_REQUIRE_BROWSER=1 but " + CHROMIUM + " or " + CHROMEDRIVER
          + " is missing (apt-get install chromium chromium-driver)");
    }
    Assumptions.assumeTrue(present, "no browser: " + CHROMIUM + " and " + CHROMEDRIVER
        + " are needed (Debian packages chromium, chromium-driver); skipped");
  }

  private ChromeDriver browser() throws IOException {
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .withLogOutput(java.io.OutputStream.nullOutputStream())
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + Files.createTempDirectory(dir, "chromium"), "--window-size=1400,1000");
    return new ChromeDriver(service, options);
  }

  private static GeneratorOptions frames(long start, long count, long seed) {
    GeneratorOptions o = new GeneratorOptions();
    o.startSec = start;
    o.count = count;
    o.ratePerSec = 20;
    o.users = 1500;
    o.sizeBytes = 300;
    o.seed = seed;
    o.delaySec = 40;
    o.delayPercent = 8;
    o.badProb = 0.005;
    o.dupProb = 0.005;
    o.stringTsProb = 0.05;
    return o;
  }

  /** What the page shows: {@code key → uniques/frames/status/revision} of every table row and chart point. */
  @SuppressWarnings("unchecked")
  private static Map<String, String> shown(JavascriptExecutor js) {
    Map<String, String> rows = new TreeMap<>();
    Object r = js.executeScript(
        "var out = {};"
            + "document.querySelectorAll('table tr[data-key]').forEach(function (tr) {"
            + "  var v = function (f) { return tr.querySelector('td[data-field=' + f + ']').getAttribute('data-value'); };"
            + "  out[tr.getAttribute('data-key')] = v('uniques') + '/' + v('frames') + '/' + v('status') + '/' + v('revision');"
            + "});"
            + "var c = window.uniqcount && window.uniqcount.chart, view = window.uniqcount && window.uniqcount.view;"
            + "if (c && view) { view.windows.minute.slice().reverse().forEach(function (m, i) {"
            + "  var y = c.data[1][i] !== null ? c.data[1][i] : c.data[2][i];"
            + "  if (c.data[0][i] !== Date.parse(m.start) / 1000) { y = 'chart x mismatch'; }"
            + "  out['chart:' + m.key] = String(y);"
            + "}); }"
            + "return out;");
    ((Map<String, Object>) r).forEach((k, v) -> rows.put(k, String.valueOf(v)));
    return rows;
  }

  /** The same, computed from the results the job wrote (Jackson), as far as the page's tables and chart reach. */
  private static Map<String, String> expected(Map<String, JsonNode> latest) {
    Map<String, TreeMap<String, JsonNode>> byKind = new TreeMap<>();
    latest.forEach((key, r) -> byKind.computeIfAbsent(r.get("window").asText(), k -> new TreeMap<>()).put(key, r));
    Map<String, Integer> rows = Map.of("minute", 10, "hour", 24, "day", 14, "week", 8, "month", 12, "year", 5);
    Map<String, String> out = new TreeMap<>();
    for (String kind : KINDS) {
      TreeMap<String, JsonNode> m = byKind.getOrDefault(kind, new TreeMap<>());
      int n = 0;
      for (JsonNode r : m.descendingMap().values()) {
        if (n++ < rows.get(kind)) {
          out.put(Cli.key(r), r.get("uniques").asText() + "/" + r.get("frames").asText() + "/" + r.get("status").asText()
              + "/" + r.get("revision").asText());
        }
        if (kind.equals("minute")) {
          out.put("chart:" + Cli.key(r), r.get("uniques").asText());
        }
      }
    }
    // the rolling table: the latest record of each rolling window
    byKind.forEach((kind, m) -> {
      if (kind.startsWith("rolling-")) {
        JsonNode r = m.lastEntry().getValue();
        out.put(Cli.key(r), r.get("uniques").asText() + "/" + r.get("frames").asText() + "/" + r.get("status").asText()
            + "/" + r.get("revision").asText());
      }
    });
    return out;
  }

  private static <T> T await(String what, Supplier<T> probe, java.util.function.Predicate<T> done) throws InterruptedException {
    long deadline = System.nanoTime() + 90_000_000_000L;
    T last = probe.get();
    while (!done.test(last)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + "; last: " + last);
      }
      Thread.sleep(200);
      last = probe.get();
    }
    return last;
  }

  private static void screenshot(ChromeDriver driver, Path to) throws IOException {
    Number height = (Number) driver.executeScript("return document.documentElement.scrollHeight;");
    // the whole page, not only the window: a viewport as tall as the document
    driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", 1400,
        "height", Math.min(2400, Math.max(1000, height.intValue())), "deviceScaleFactor", 1, "mobile", false));
    Files.createDirectories(to.getParent());
    Files.write(to, driver.getScreenshotAs(OutputType.BYTES));
  }

  @Test
  void thePageShowsTheJobsResultsLiveAndTheReferenceCountsAtTheEnd() throws Exception {
    requireBrowser();
    long start = Instant.parse("2016-07-11T13:31:10Z").getEpochSecond();
    GeneratorOptions first = frames(start, 18_000, 5);
    GeneratorOptions second = frames(start + 360, 1_500, 6); // 75 s of minutes long final: late
    byte[] a = GeneratedFrames.bytes(first);
    byte[] late = GeneratedFrames.bytes(second);
    ReferenceCounts reference = new ReferenceCounts(ZoneId.of("UTC")).range(start - 40, start + 900 + 1)
        .addLines(a).addLines(late);

    // a name the page shows: it must appear as text, never as markup
    Path results = dir.resolve("results <i>&amp;\"x.jsonl");
    Files.writeString(results, "");
    PipedOutputStream feed = new PipedOutputStream();
    PipedInputStream stdin = new PipedInputStream(feed, 1 << 20);
    AtomicReference<Cli.Run> count = new AtomicReference<>();
    Thread job = new Thread(() -> count.set(Cli.run(stdin, "count", "--input", "-", "--counter", "exact", "--output",
        results.toString(), "--early-interval", "200ms", "--rolling", "10m", "--stats-interval", "0", "--threads", "1")),
        "test-count");

    try (ServeRun serve = new ServeRun("--input", results.toString(), "--http-port", "0")) {
      job.start();
      feed.write(a);
      feed.flush();
      ChromeDriver driver = browser();
      try {
        driver.get(serve.url());
        // while the job runs: the page shows the latest record of every window the job wrote so far
        Map<String, String> midway = await("the page to show what the job published so far", () -> {
          try {
            Map<String, String> want = expected(Cli.lastPerWindow(Files.readString(results)));
            Map<String, String> got = shown(driver);
            return want.equals(got) && !want.isEmpty() ? got : null;
          } catch (IOException e) {
            throw new AssertionError(e);
          }
        }, m -> m != null);
        assertTrue(midway.values().stream().anyMatch(v -> v.contains("/early/")),
            "the job is still running: some windows are early: " + midway);
        assertEquals("true", String.valueOf(driver.executeScript(
            "return document.querySelector('#chart .uplot canvas') !== null;")), "uPlot drew the chart");
        long minutes = midway.keySet().stream().filter(k -> k.startsWith("chart:")).count();
        assertEquals(String.valueOf(minutes), driver.findElement(org.openqa.selenium.By.id("chart")).getAttribute("data-points"));
        assertTrue(Integer.parseInt(driver.findElement(org.openqa.selenium.By.id("chart")).getAttribute("data-early")) >= 1);
        assertEquals("file " + results, driver.findElement(org.openqa.selenium.By.id("stat-source")).getText());

        // late frames for minutes already final (update records) while the newest minute is still open
        driver.executeScript("window.__sameDocument = 'still here';");
        long rendersBefore = ((Number) driver.executeScript("return window.uniqcount.renders;")).longValue();
        feed.write(late);
        feed.flush();
        Map<String, String> withUpdates = await("the page to show the updates the job published", () -> {
          try {
            Map<String, String> want = expected(Cli.lastPerWindow(Files.readString(results)));
            Map<String, String> got = shown(driver);
            return want.equals(got) && got.values().stream().anyMatch(v -> v.contains("/update/")) ? got : null;
          } catch (IOException e) {
            throw new AssertionError(e);
          }
        }, m -> m != null);
        assertTrue(withUpdates.values().stream().anyMatch(v -> v.contains("/early/")), withUpdates.toString());
        assertTrue(Integer.parseInt(driver.findElement(org.openqa.selenium.By.id("chart")).getAttribute("data-update")) >= 1);
        assertEquals("still here", driver.executeScript("return window.__sameDocument;"), "updated without a reload");
        assertTrue(((Number) driver.executeScript("return window.uniqcount.renders;")).longValue() > rendersBefore);
        screenshot(driver, Path.of("target", "serve-page.png"));

        // the end of the stream: every window final, as the reference counts it
        feed.close();
        job.join(120_000);
        assertEquals(0, count.get().exit, count.get().err);
        Map<String, String> want = new TreeMap<>();
        reference.windows.forEach((key, truth) -> want.put(key, truth.uids.size() + "/" + truth.frames));
        Map<String, String> fin = await("the page to show the reference's counts", () -> shown(driver), got -> {
          for (Map.Entry<String, String> e : got.entrySet()) {
            if (e.getKey().startsWith("rolling-10m/")) { // the last ten minutes at the end, as the reference counts them
              long from = Instant.parse(e.getKey().substring("rolling-10m/".length())).getEpochSecond();
              long[] truth = reference.truthOf(from, from + 600);
              if (!e.getValue().startsWith(truth[0] + "/" + truth[1] + "/final/")) {
                return false;
              }
              continue;
            }
            if (!want.containsKey(e.getKey().replaceFirst("^chart:", ""))) {
              return false;
            }
            if (e.getKey().startsWith("chart:")) {
              String key = e.getKey().substring(6);
              if (!e.getValue().equals(want.get(key).split("/")[0])) {
                return false;
              }
            } else if (!e.getValue().startsWith(want.get(e.getKey()) + "/") || e.getValue().contains("/early/")) {
              return false;
            }
          }
          return got.keySet().stream().anyMatch(k -> k.startsWith("rolling-10m/"))
              && got.keySet().containsAll(java.util.List.of("hour/2016-07-11T13:00:00Z", "day/2016-07-11T00:00:00Z",
              "week/2016-07-11T00:00:00Z", "month/2016-07-01T00:00:00Z", "year/2016-01-01T00:00:00Z"));
        });
        long chartMinutes = fin.keySet().stream().filter(k -> k.startsWith("chart:")).count();
        assertEquals(reference.windows.keySet().stream().filter(k -> k.startsWith("minute/")).count(), chartMinutes,
            "every minute of the reference is a point of the chart");
        assertEquals("still here", driver.executeScript("return window.__sameDocument;"), "updated without a reload");
        assertTrue(((Number) driver.executeScript("return window.uniqcount.renders;")).longValue() > rendersBefore);
        String hourText = driver.findElement(org.openqa.selenium.By.cssSelector(
            "#table-hour tr[data-key='hour/2016-07-11T13:00:00Z'] td[data-field=uniques]")).getText();
        assertEquals(String.format(java.util.Locale.US, "%,d", reference.windows.get("hour/2016-07-11T13:00:00Z").uids.size()),
            hourText, "shown with a thousands separator");
        screenshot(driver, Path.of("target", "serve-page-final.png"));

        // strings from the data reach the page only as text
        Files.writeString(results, "<script>window.__xss=2</script>\n"
            + "{\"window\":\"<img src=x onerror=\\\"window.__xss=1\\\">\",\"start\":\"2016-07-11T13:00:00Z\"}\n",
            StandardOpenOption.APPEND);
        String lastForeign = await("the foreign records to be counted", () ->
            driver.findElement(org.openqa.selenium.By.id("stat-last-foreign")).getText(), t -> t.contains("<img"));
        assertEquals("bad_value: unknown window \"<img src=x onerror=\"window.__xss=1\">\"", lastForeign);
        assertEquals("2", driver.findElement(org.openqa.selenium.By.id("stat-foreign")).getAttribute("data-value"));
        assertEquals("undefined", String.valueOf(driver.executeScript("return typeof window.__xss;")));
        assertEquals(0L, driver.executeScript("return document.querySelectorAll('img, script:not([src]), i').length;"));
      } finally {
        driver.quit();
      }
      assertEquals(0, serve.stop(), serve.err());
    } finally {
      feed.close();
      job.join(30_000);
    }
  }
}
