package uniqcount.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import uniqcount.UserException;
import uniqcount.cli.Cli;
import uniqcount.cli.Main;
import uniqcount.engine.JobStatus;
import uniqcount.gen.GeneratorOptions;
import uniqcount.kafka.SharedBroker;
import uniqcount.reference.GeneratedFrames;
import uniqcount.reference.JacksonReference;

/**
 * {@code count --metrics-port}: a real run scraped over HTTP while it runs, the text parsed and
 * compared with what was fed (counted independently with Jackson); names and labels checked
 * against Prometheus conventions.
 */
class MetricsTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** The labels our metrics may carry: all bounded. */
  private static final Set<String> LABELS = Set.of("reason", "status", "granularity", "kind", "partition");
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private static GeneratorOptions options(long count, long seed) {
    GeneratorOptions o = new GeneratorOptions();
    o.startSec = 1_468_244_400L;
    o.count = count;
    o.ratePerSec = 200;
    o.users = 3000;
    o.seed = seed;
    o.sizeBytes = 400;
    o.delaySec = 20;
    o.delayPercent = 10;
    o.bitflipProb = 0.002;
    o.stringTsProb = 0.1;
    o.badProb = 0.02;
    o.dupProb = 0.01;
    o.dialectProb = 0.05;
    return o;
  }

  /** A scrape: every sample by {@code name{labels}} (labels sorted), and every family's type. */
  record Scrape(Map<String, Double> samples, Map<String, String> types, String text) {
    double value(String key) {
      Double v = samples.get(key);
      assertNotNull(v, "no sample " + key + " in:\n" + text);
      return v;
    }
  }

  static Scrape scrape(int port) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), r.headers().toString());
    Map<String, Double> samples = new TreeMap<>();
    Map<String, String> types = new TreeMap<>();
    for (String line : r.body().split("\n")) {
      if (line.startsWith("# TYPE ")) {
        String[] t = line.split(" ");
        types.put(t[2], t[3]);
        continue;
      }
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      assertTrue(m.matches(), "not a sample line of the text format: " + line);
      TreeMap<String, String> labels = new TreeMap<>();
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      StringBuilder key = new StringBuilder(m.group(1));
      if (!labels.isEmpty()) {
        key.append('{');
        labels.forEach((k, v) -> key.append(key.charAt(key.length() - 1) == '{' ? "" : ",").append(k).append("=").append(v));
        key.append('}');
      }
      samples.put(key.toString(), Double.parseDouble(m.group(4)));
    }
    return new Scrape(samples, types, r.body());
  }

  static int get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
        .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static int portFrom(String err) {
    Matcher m = Pattern.compile("metrics at http://127\\.0\\.0\\.1:(\\d+)/metrics").matcher(err);
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }

  /** Our families follow the conventions: counters end in _total, units in the name, only bounded labels. */
  private static void checkConventions(Scrape s) {
    List<String> problems = new ArrayList<>();
    s.types().forEach((family, type) -> {
      if (!family.startsWith("uniqcount_")) {
        return;
      }
      if (type.equals("counter") && !family.endsWith("_total")) {
        problems.add(family + ": a counter not named ..._total");
      }
    });
    for (String key : s.samples().keySet()) {
      if (!key.startsWith("uniqcount_")) {
        continue;
      }
      int brace = key.indexOf('{');
      if (brace > 0) {
        for (String pair : key.substring(brace + 1, key.length() - 1).split(",")) {
          String name = pair.substring(0, pair.indexOf('='));
          if (!LABELS.contains(name)) {
            problems.add(key + ": label " + name + " is not one of the bounded labels " + LABELS);
          }
        }
      }
      if (key.contains("seconds") && !key.matches("uniqcount_[a-z_]*seconds(_total)?(\\{.*)?")) {
        problems.add(key + ": a unit belongs at the end of the name");
      }
    }
    if (!problems.isEmpty()) {
      fail(String.join("\n", problems) + "\n" + s.text());
    }
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void aRunningFileJobIsScrapedWhileItRunsAndItsCountsAgreeWithTheInput() throws Exception {
    List<byte[]> lines = GeneratedFrames.lines(options(20_000, 41));
    long accepted = 0;
    for (byte[] l : lines) {
      if (JacksonReference.parse(l, 0, l.length) != null) {
        accepted++;
      }
    }
    // stdin that the test feeds: the job runs until the test closes it
    PipedOutputStream feed = new PipedOutputStream();
    PipedInputStream stdin = new PipedInputStream(feed, 1 << 20);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream(); // its methods are synchronized: read while written
    int[] exit = {-1};
    Thread job = new Thread(() -> exit[0] = Main.execute(new String[] {"count", "--threads", "1", "--counter", "exact",
        "--metrics-port", "0", "--stats-interval", "0", "--progress", "never"}, stdin,
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
    job.start();
    int half = lines.size() / 2;
    for (int i = 0; i < half; i++) {
      feed.write(lines.get(i));
      feed.write('\n');
    }
    feed.flush();
    int port = -1;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Scrape s = null;
    while (System.nanoTime() < deadline) {
      port = portFrom(err.toString(StandardCharsets.UTF_8));
      if (port > 0) {
        s = scrape(port);
        if (s.samples().getOrDefault("uniqcount_frames_read_total", 0.0) >= half) {
          break;
        }
      }
      Thread.sleep(100);
    }
    assertNotNull(s, "the metrics server never answered");
    assertEquals(half, s.value("uniqcount_frames_read_total"), "frames read mid-run");
    assertEquals(200, get(port, "/healthz"));
    assertEquals(404, get(port, "/nothing-here"));
    checkConventions(s);
    assertTrue(s.types().containsKey("jvm_memory_used_bytes"), "the JVM's metrics are there too");

    for (int i = half; i < lines.size(); i++) {
      feed.write(lines.get(i));
      feed.write('\n');
    }
    feed.flush();
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline && s.value("uniqcount_frames_read_total") < lines.size()) {
      Thread.sleep(100);
      s = scrape(port);
    }
    assertEquals(lines.size(), s.value("uniqcount_frames_read_total"));
    assertEquals(accepted, s.value("uniqcount_frames_accepted_total"), "accepted, as Jackson judges the frames");
    double rejected = 0;
    for (Map.Entry<String, Double> e : s.samples().entrySet()) {
      if (e.getKey().startsWith("uniqcount_frames_rejected_total{reason=")) {
        rejected += e.getValue();
      }
    }
    assertEquals(lines.size() - accepted, rejected, "rejected by reason adds up to what Jackson refused");
    assertTrue(s.value("uniqcount_frames_rejected_total{reason=truncated}") > 0, "the generator's faults show by reason");
    assertTrue(s.value("uniqcount_frames_implausible_ts_total") > 0, "bit flips are counted");
    assertTrue(s.value("uniqcount_input_bytes_total") > 0);
    assertTrue(s.value("uniqcount_decode_seconds_total") > 0);
    assertTrue(s.value("uniqcount_windows_open{granularity=minute,kind=counting}") > 0);
    assertTrue(s.value("uniqcount_state_bytes{granularity=minute,kind=counting}") > 0);
    assertTrue(s.value("uniqcount_watermark_seconds{partition=0}") > 1_468_244_400L);
    assertTrue(s.value("uniqcount_watermark_lag_seconds{partition=0}") > 0);
    double early = s.value("uniqcount_results_total{status=early}");
    double fin = s.value("uniqcount_results_total{status=final}");
    assertTrue(early + fin > 0, "results are counted by status");
    assertEquals("counter", s.types().get("uniqcount_results_total"));
    assertEquals("gauge", s.types().get("uniqcount_state_bytes"));

    feed.close();
    job.join(TimeUnit.SECONDS.toMillis(60));
    String errText = err.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit[0], errText);
    int finals = 0;
    for (var r : Cli.parse(out.toString(StandardCharsets.UTF_8))) {
      finals += r.get("status").asText().equals("final") ? 1 : 0;
    }
    assertTrue(finals > 0);
    assertFalse(errText.contains("Exception"), errText);
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aKafkaJobShowsLagCommitsPartialsAndACompletedCatchUp() throws Exception {
    String topic = "metrics-frames";
    SharedBroker.createTopic(topic, 2);
    List<byte[]> lines = GeneratedFrames.lines(options(6_000, 42));
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBroker.bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()))) {
      for (int i = 0; i < lines.size(); i++) {
        p.send(new ProducerRecord<>(topic, i % 2, null, lines.get(i))).get();
      }
    }
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    AtomicReference<Cli.Run> run = new AtomicReference<>();
    String servers = SharedBroker.bootstrapServers();
    Thread job = new Thread(() -> run.set(Cli.run("count", "--bootstrap-servers", servers,
        "--topic", topic, "--group", "metrics-group", "--counter", "exact", "--threads", "1", "--exit-on-idle", "10s",
        "--metrics-port", Integer.toString(port), "--stats-interval", "0", "--progress", "never")));
    job.start();
    Scrape s = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline && job.isAlive()) {
      try {
        s = scrape(port);
        // wait for a moment where all of it must hold: everything read, a few commits, merged
        if (s.samples().getOrDefault("uniqcount_frames_read_total", 0.0) == lines.size()
            && s.samples().getOrDefault("uniqcount_checkpoints_total", 0.0) >= 3
            && s.samples().getOrDefault("uniqcount_partials_merged_total", 0.0) > 0
            // a round merges first, then publishes: a scrape may fall between the two
            && s.samples().getOrDefault("uniqcount_results_total{status=early}", 0.0) > 0
            && s.samples().getOrDefault("uniqcount_consumer_lag_records{partition=0}", -1.0) == 0
            && s.samples().getOrDefault("uniqcount_consumer_lag_records{partition=1}", -1.0) == 0) {
          break;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    assertNotNull(s, "never scraped");
    checkConventions(s);
    assertEquals(lines.size(), s.value("uniqcount_frames_read_total"), s.text());
    assertEquals(0, s.value("uniqcount_consumer_lag_records{partition=0}"));
    assertEquals(0, s.value("uniqcount_consumer_lag_records{partition=1}"));
    assertEquals(1.0, s.value("uniqcount_progress_ratio"), "the catch-up is done: live");
    assertTrue(s.value("uniqcount_checkpoints_total") > 0);
    assertEquals(0, s.value("uniqcount_checkpoint_failures_total"));
    assertTrue(s.value("uniqcount_checkpoint_age_seconds") < 10, "commits every second (a loaded machine may be late)");
    assertTrue(s.value("uniqcount_checkpoint_duration_seconds") >= 0);
    assertTrue(s.value("uniqcount_partials_published_total") > 0, "partition state written to the state topic");
    assertTrue(s.value("uniqcount_partials_merged_total") > 0, "and merged by this instance, which owns partition 0:\n" + s.text());
    assertTrue(s.value("uniqcount_windows_open{granularity=minute,kind=merge}") > 0, "the merge step's views");
    assertTrue(s.value("uniqcount_results_total{status=early}") > 0, "this instance merges, so it publishes");
    assertTrue(s.value("uniqcount_global_watermark_seconds") > 1_468_244_400L);
    job.join(TimeUnit.SECONDS.toMillis(60));
    assertEquals(0, run.get().exit, run.get().err);
  }

  @Test
  void healthIs200WhileTheJobRunsAnd503OnceItFailed() throws Exception {
    AtomicBoolean healthy = new AtomicBoolean(true);
    JobStatus idle = new JobStatus(true, 0, 0, Map.of(), 0, 0, 0, 0, 0, Map.of(), List.of(), Long.MIN_VALUE, List.of(),
        new JobStatus.Progress("bytes", 0, -1, false), new JobStatus.Commits(false, 0, 0, -1, 0), 0, 0);
    try (MetricsServer server = MetricsServer.start("127.0.0.1", 0, () -> idle, healthy::get)) {
      assertEquals(200, get(server.port(), "/healthz"));
      healthy.set(false);
      assertEquals(503, get(server.port(), "/healthz"));
      assertEquals(200, get(server.port(), "/metrics"), "the metrics stay readable after a failure");
    }
  }

  @Test
  void aTakenPortAnUnknownHostAndAForeignAddressAreOneClearLineEach() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      Cli.Run r = Cli.run("count", "--metrics-port", Integer.toString(port), "--progress", "never");
      assertEquals(1, r.exit, r.err);
      assertEquals("uniqcount count: cannot listen on 127.0.0.1:" + port + ": the port is in use (choose another with --metrics-port)\n",
          r.err);
    }
    Cli.Run unknown = Cli.run("count", "--metrics-port", "0", "--metrics-host", "no-such-host.invalid");
    assertEquals(2, unknown.exit, unknown.err);
    assertEquals("uniqcount count: --metrics-host no-such-host.invalid: unknown host\n", unknown.err);
    Cli.Run foreign = Cli.run("count", "--metrics-port", "0", "--metrics-host", "192.0.2.1");
    assertEquals(1, foreign.exit, foreign.err);
    assertEquals("uniqcount count: cannot listen on 192.0.2.1:0: no network interface of this machine has that address (check --metrics-host)\n",
        foreign.err);
    Cli.Run range = Cli.run("count", "--metrics-port", "70000");
    assertEquals(2, range.exit, range.err);
    assertTrue(range.err.startsWith("uniqcount count: --metrics-port 70000: expected 0..65535"), range.err);
    UserException e = UserException.cannotListen("--metrics-port", "--metrics-host", "127.0.0.1", 80,
        new java.net.BindException("Permission denied"));
    assertEquals("cannot listen on 127.0.0.1:80: permission denied (ports below 1024 need privileges; choose another with"
        + " --metrics-port)", e.getMessage());
  }
}
