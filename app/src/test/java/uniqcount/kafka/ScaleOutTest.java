package uniqcount.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uniqcount.gen.GeneratorOptions;
import uniqcount.reference.GeneratedFrames;
import uniqcount.reference.ReferenceCounts;

/**
 * Scale-out (issue 13): several {@code count} processes in one consumer group over one topic,
 * disturbed mid-stream (SIGKILL, one added, one SIGSTOPped past the session timeout and resumed),
 * publish one answer: the last record per key equals what a single instance publishes for the same
 * input, and (exact) the independent reference. Real broker, every instance a child JVM whose
 * output goes to a log under the test's temporary directory (tails in every failure message).
 */
class ScaleOutTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long START = Instant.parse("2016-07-11T13:39:44Z").getEpochSecond();
  /** Frames of the main scenario: 300 bytes each, 100 per event-second (25 minutes of event time). */
  private static final int FRAMES = 150_000;
  /** Wall time over which the main scenario's frames are produced. */
  private static final Duration STREAM = Duration.ofSeconds(18);
  private static final int SESSION_TIMEOUT_MS = 6000;

  private static Data mainData;

  /** Seeded frames with faults (late, bit flips, string ts, bad lines, duplicates, dialect) and their reference. */
  private static final class Data {
    final List<byte[]> lines;
    final ReferenceCounts reference;

    Data(long count, long seed) throws IOException {
      GeneratorOptions o = new GeneratorOptions();
      o.startSec = START;
      o.count = count;
      o.ratePerSec = 100;
      o.users = 20_000;
      o.seed = seed;
      o.sizeBytes = 300;
      o.delaySec = 20;
      o.delayPercent = 10;
      o.bitflipProb = 0.002;
      o.stringTsProb = 0.1;
      o.badProb = 0.01;
      o.dupProb = 0.01;
      o.dialectProb = 0.02;
      this.lines = GeneratedFrames.lines(o);
      this.reference = GeneratedFrames.reference(o, lines);
    }

    /** {uniques, frames} per window key, as the reference counts them. */
    Map<String, long[]> truth() {
      Map<String, long[]> truth = new TreeMap<>();
      reference.windows.forEach((k, w) -> truth.put(k, new long[] {w.uids.size(), w.frames}));
      return truth;
    }
  }

  private static synchronized Data mainData() throws IOException {
    if (mainData == null) {
      mainData = new Data(FRAMES, 13);
    }
    return mainData;
  }

  // ---------------------------------------------------------------------------------------------
  // the scenario

  @ParameterizedTest(name = "{0}, {1}")
  @CsvSource({"exact, plain", "hll, plain", "exact, exactly-once", "hll, exactly-once"})
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void instancesKilledAddedAndPausedMidStreamPublishWhatOneInstancePublishes(String counter, String mode,
      @TempDir Path dir) throws Exception {
    boolean eos = mode.equals("exactly-once");
    Data data = mainData();
    String name = "scale-" + counter + "-" + (eos ? "eos" : "plain");
    String topic = name + "-frames";
    String group = name + "-group";
    String results = name + "-results";
    String refGroup = name + "-single-group";
    String refResults = name + "-single-results";
    int partitions = 6;
    createTopic(topic, partitions);
    Timeline timeline = new Timeline();

    try (Fleet fleet = new Fleet(dir, timeline)) {
      // a small head of the stream is there before anyone starts, so no instance begins idle
      int head = data.lines.size() / 40;
      produce(topic, partitions, data.lines, 0, head);
      List<String> args = countArgs(topic, group, results, counter, eos);
      Instance a = fleet.start("a", args);
      Instance b = fleet.start("b", args);
      Instance c = fleet.start("c", args);
      PacedProducer producer = new PacedProducer(topic, partitions, data.lines, head, STREAM);
      producer.start();
      timeline.note("producing " + (data.lines.size() - head) + " more frames over " + STREAM.toSeconds() + " s");

      awaitGroupMembers(group, 3, Duration.ofSeconds(12), timeline);
      sleep(2000);
      fleet.kill(a);
      sleep(2000);
      Instance d = fleet.start("d", args);
      sleep(3000);
      fleet.stop(b);
      sleep(10_000); // well past the 6 s session timeout: b's partitions move, b is a zombie
      fleet.cont(b);

      producer.await(Duration.ofSeconds(90));
      timeline.note("production done: " + producer.sent() + " frames after the head");
      // the single-instance run over the whole input, in its own group, for comparison
      Instance single = fleet.start("single", countArgs(topic, refGroup, refResults, counter, eos));

      fleet.awaitAll(List.of(b, c, d, single), Duration.ofSeconds(180));

      List<String> problems = new ArrayList<>();
      for (Instance i : List.of(c, d, single)) {
        if (i.exitCode() != 0) {
          problems.add(i.name + " exited " + i.exitCode() + " (expected 0)");
        }
      }
      if (b.exitCode() != 0) {
        boolean fenced = b.log().toLowerCase(java.util.Locale.ROOT).contains("fenced");
        if (!eos || !fenced) {
          problems.add("b (SIGSTOPped, then SIGCONTed) exited " + b.exitCode() + (eos
              ? " without saying it was fenced (a non-zero exit is only acceptable for a fenced zombie)"
              : " (expected 0: without --exactly-once a resumed instance carries on)"));
        }
      }
      if (!a.aliveWhenSignalled || !b.aliveWhenSignalled) {
        problems.add("an instance had already exited when it was disturbed (a: " + a.aliveWhenSignalled
            + ", b: " + b.aliveWhenSignalled + "): the scenario did not test what it should");
      }

      List<ConsumerRecord<String, String>> scaled = readCommitted(results, Duration.ofSeconds(90));
      List<ConsumerRecord<String, String>> one = readCommitted(refResults, Duration.ofSeconds(90));
      Map<String, JsonNode> got = lastPerKey(scaled);
      Map<String, JsonNode> want = lastPerKey(one);
      timeline.note("scale-out results: " + scaled.size() + " records, " + got.size() + " keys, last statuses "
          + statuses(got) + "; single instance: " + one.size() + " records, " + want.size() + " keys, last statuses "
          + statuses(want));

      checkRevisions("scale-out", scaled, eos, problems);
      checkRevisions("single instance", one, eos, problems);
      checkClosed("scale-out", got, problems);
      checkClosed("single instance", want, problems);
      if (eos) {
        checkFinalOnce("scale-out", scaled, problems);
        checkFinalOnce("single instance", one, problems);
      }
      compare("scale-out vs single instance", want, got, problems);
      Map<String, long[]> truth = data.truth();
      compareToReference("scale-out", truth, got, counter.equals("exact"), problems);
      compareToReference("single instance", truth, want, counter.equals("exact"), problems);

      if (!problems.isEmpty()) {
        fail(problems.size() + " problem(s) with " + counter + ", " + mode + ":\n  - " + String.join("\n  - ", problems)
            + "\n" + timeline + fleet.tails());
      }
    }
  }

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void aBrokerRestartMidStreamChangesNothing(@TempDir Path dir) throws Exception {
    Data data = mainData();
    String name = "restart-exact-eos";
    String topic = name + "-frames";
    int partitions = 6;
    createTopic(topic, partitions);
    Timeline timeline = new Timeline();
    try (Fleet fleet = new Fleet(dir, timeline)) {
      int head = data.lines.size() / 40;
      produce(topic, partitions, data.lines, 0, head);
      List<String> args = countArgs(topic, name + "-group", name + "-results", "exact", true);
      Instance a = fleet.start("a", args);
      Instance b = fleet.start("b", args);
      PacedProducer producer = new PacedProducer(topic, partitions, data.lines, head, STREAM);
      producer.start();
      awaitGroupMembers(name + "-group", 2, Duration.ofSeconds(12), timeline);
      sleep(4000);
      timeline.note("restarting the broker (down 3 s)");
      SharedBroker.restart(Duration.ofSeconds(3));
      timeline.note("the broker is back");
      producer.await(Duration.ofSeconds(120));
      timeline.note("production done: " + producer.sent() + " frames after the head");
      Instance single = fleet.start("single", countArgs(topic, name + "-single-group", name + "-single-results", "exact", true));
      fleet.awaitAll(List.of(a, b, single), Duration.ofSeconds(180));

      List<String> problems = new ArrayList<>();
      for (Instance i : List.of(a, b, single)) {
        if (i.exitCode() != 0) {
          problems.add(i.name + " exited " + i.exitCode() + " (expected 0: a broker restart is weathered)");
        }
      }
      List<ConsumerRecord<String, String>> scaled = readCommitted(name + "-results", Duration.ofSeconds(90));
      List<ConsumerRecord<String, String>> one = readCommitted(name + "-single-results", Duration.ofSeconds(90));
      Map<String, JsonNode> got = lastPerKey(scaled);
      Map<String, JsonNode> want = lastPerKey(one);
      checkRevisions("scale-out", scaled, true, problems);
      checkClosed("scale-out", got, problems);
      checkFinalOnce("scale-out", scaled, problems);
      compare("scale-out vs single instance", want, got, problems);
      Map<String, long[]> truth = data.truth();
      compareToReference("scale-out", truth, got, true, problems);
      if (!problems.isEmpty()) {
        fail(problems.size() + " problem(s) across a broker restart:\n  - " + String.join("\n  - ", problems)
            + "\n" + timeline + fleet.tails());
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // smaller cases

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void moreInstancesThanPartitionsGiveTheReferenceAnswer(@TempDir Path dir) throws Exception {
    Data data = new Data(30_000, 14);
    String topic = "scale-few-frames";
    String group = "scale-few-group";
    String results = "scale-few-results";
    createTopic(topic, 2);
    Timeline timeline = new Timeline();
    try (Fleet fleet = new Fleet(dir, timeline)) {
      int head = data.lines.size() / 20;
      produce(topic, 2, data.lines, 0, head);
      List<String> args = countArgs(topic, group, results, "exact", false);
      List<Instance> all = List.of(fleet.start("a", args), fleet.start("b", args), fleet.start("c", args));
      PacedProducer producer = new PacedProducer(topic, 2, data.lines, head, Duration.ofSeconds(8));
      producer.start();
      awaitGroupMembers(group, 3, Duration.ofSeconds(12), timeline);
      producer.await(Duration.ofSeconds(60));
      timeline.note("production done");
      fleet.awaitAll(all, Duration.ofSeconds(120));

      List<String> problems = new ArrayList<>();
      for (Instance i : all) {
        if (i.exitCode() != 0) {
          problems.add(i.name + " exited " + i.exitCode() + " (expected 0; one of the three owns no partition)");
        }
      }
      List<ConsumerRecord<String, String>> records = readCommitted(results, Duration.ofSeconds(60));
      Map<String, JsonNode> got = lastPerKey(records);
      timeline.note("results: " + records.size() + " records, " + got.size() + " keys, last statuses " + statuses(got));
      checkRevisions("3 instances on 2 partitions", records, false, problems);
      checkClosed("3 instances on 2 partitions", got, problems);
      Map<String, long[]> truth = data.truth();
      compareToReference("3 instances on 2 partitions", truth, got, true, problems);
      if (!problems.isEmpty()) {
        fail(problems.size() + " problem(s):\n  - " + String.join("\n  - ", problems) + "\n" + timeline + fleet.tails());
      }
    }
  }

  /**
   * The merging instance dies after the input ended but before its final flush: the other,
   * idle and without partition 0, must not exit yet — it takes partition 0 over and publishes
   * the finals. (Seen in CI: an idle member that had just lost partition 0 exited, and so did
   * the one that took it, and the last windows stayed early.)
   */
  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void theMergerKilledBeforeItsFinalFlushLeavesTheFinalsToTheOther(@TempDir Path dir) throws Exception {
    Data data = new Data(30_000, 15);
    String topic = "scale-lastmerger-frames";
    String group = "scale-lastmerger-group";
    String results = "scale-lastmerger-results";
    createTopic(topic, 2);
    Timeline timeline = new Timeline();
    try (Fleet fleet = new Fleet(dir, timeline)) {
      int head = data.lines.size() / 20;
      produce(topic, 2, data.lines, 0, head);
      // idle for 3 s exits: sooner than the 6 s session timeout lets the group notice the kill
      List<String> args = new ArrayList<>(countArgs(topic, group, results, "exact", true));
      args.set(args.indexOf("--exit-on-idle") + 1, "3s");
      Instance a = fleet.start("a", args);
      Instance b = fleet.start("b", args);
      PacedProducer producer = new PacedProducer(topic, 2, data.lines, head, Duration.ofSeconds(6));
      producer.start();
      awaitGroupMembers(group, 2, Duration.ofSeconds(12), timeline);
      producer.await(Duration.ofSeconds(60));
      timeline.note("production done");
      // the idle exit is still ahead: kill whichever merges now, before it flushes
      Instance merger = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (merger == null && System.nanoTime() < deadline) {
        merger = merges(a) ? a : merges(b) ? b : null;
        sleep(100);
      }
      assertNotNull(merger, "neither instance said it merges\n" + timeline + fleet.tails());
      Instance other = merger == a ? b : a;
      fleet.kill(merger);
      fleet.awaitAll(List.of(other), Duration.ofSeconds(120));

      List<String> problems = new ArrayList<>();
      if (other.exitCode() != 0) {
        problems.add(other.name + " exited " + other.exitCode() + " (expected 0)");
      }
      if (!merger.aliveWhenSignalled) {
        problems.add("the merger had exited before it was killed: the scenario did not test what it should");
      }
      List<ConsumerRecord<String, String>> records = readCommitted(results, Duration.ofSeconds(60));
      Map<String, JsonNode> got = lastPerKey(records);
      timeline.note("results: " + records.size() + " records, " + got.size() + " keys, last statuses " + statuses(got));
      checkRevisions("merger killed at the end", records, true, problems);
      checkClosed("merger killed at the end", got, problems);
      checkFinalOnce("merger killed at the end", records, problems);
      Map<String, long[]> truth = data.truth();
      compareToReference("merger killed at the end", truth, got, true, problems);
      if (!problems.isEmpty()) {
        fail(problems.size() + " problem(s):\n  - " + String.join("\n  - ", problems) + "\n" + timeline + fleet.tails());
      }
    }
  }

  /** Whether the instance's log says it merges now (the last word on partition 0 is that it took it). */
  private static boolean merges(Instance i) throws IOException {
    String log = i.log();
    return log.lastIndexOf("this instance merges") > log.lastIndexOf("moved to another member");
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void aCheckpointDirectoryOnKafkaInputIsOneClearLinePointingToTheStateTopic(@TempDir Path dir) throws Exception {
    String topic = "scale-ckpt-frames";
    createTopic(topic, 2);
    Data data = new Data(500, 15);
    produce(topic, 2, data.lines, 0, data.lines.size());
    List<String> args = new ArrayList<>(countArgs(topic, "scale-ckpt-group", "scale-ckpt-results", "exact", false));
    args.addAll(List.of("--checkpoint", dir.resolve("ck").toString()));
    List<String> cmd = javaCommand(args);
    Path out = dir.resolve("ckpt.out");
    Path err = dir.resolve("ckpt.err");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try {
      assertTrue(p.waitFor(90, TimeUnit.SECONDS), "still running after 90 s");
      String stderr = Files.readString(err);
      String stdout = Files.readString(out);
      String context = "exit " + p.exitValue() + "\nstderr:\n" + stderr + "\nstdout (tail):\n" + tail(stdout, 10);
      assertEquals(2, p.exitValue(), "--checkpoint with Kafka input must be a usage error: " + context);
      assertEquals(1, stderr.strip().split("\n").length, "one line: " + context);
      assertTrue(stderr.toLowerCase(java.util.Locale.ROOT).contains("state"), "names the state topic: " + context);
      assertFalse(stderr.contains("\tat ") || stderr.contains("Caused by") || stderr.contains("Exception in thread"),
          "no stack trace: " + context);
      assertEquals("", stdout, "nothing published: " + context);
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // checks

  /** Latest record per key in read order; the key must be {@code window/start} of its value. */
  private static Map<String, JsonNode> lastPerKey(List<ConsumerRecord<String, String>> records) throws IOException {
    Map<String, JsonNode> last = new TreeMap<>();
    for (ConsumerRecord<String, String> r : records) {
      JsonNode v = JSON.readTree(r.value());
      String key = v.get("window").asText() + "/" + v.get("start").asText();
      if (!key.equals(r.key())) {
        throw new AssertionError("record key " + r.key() + " does not match its value " + r.value());
      }
      last.put(r.key(), v);
    }
    return last;
  }

  /** Exactly-once: revisions of a key strictly increase (every (key, revision) once); else they never go down. */
  private static void checkRevisions(String what, List<ConsumerRecord<String, String>> records, boolean strictly,
      List<String> problems) throws IOException {
    Map<String, Integer> lastRevision = new LinkedHashMap<>();
    List<String> bad = new ArrayList<>();
    int badCount = 0;
    for (ConsumerRecord<String, String> r : records) {
      int revision = JSON.readTree(r.value()).get("revision").asInt();
      Integer before = lastRevision.put(r.key(), revision);
      if (before != null && (strictly ? revision <= before : revision < before)) {
        if (badCount++ < 8) {
          bad.add(r.key() + " revision " + before + " then " + revision + " (offset " + r.offset() + ")");
        }
      }
    }
    if (badCount > 0) {
      problems.add(what + ": " + badCount + " record(s) whose revision " + (strictly ? "did not go up" : "went down")
          + " (read_committed), e.g. " + bad);
    }
  }

  /**
   * The last record of every key is closed: {@code final}, or {@code update} when late frames
   * changed the window after its final (README: final exactly once, then updates; the flush at
   * the end publishes "final (or update)"). Which of the two a window ends with depends on when
   * its first final came, that is on timing, so it is not compared between runs.
   */
  private static void checkClosed(String what, Map<String, JsonNode> last, List<String> problems) {
    List<String> open = new ArrayList<>();
    last.forEach((k, v) -> {
      String status = v.get("status").asText();
      if (!status.equals("final") && !status.equals("update")) {
        open.add(k + "=" + status);
      }
    });
    if (!open.isEmpty()) {
      problems.add(what + ": " + open.size() + " of " + last.size() + " keys' last status is not final (nor update), e.g. "
          + open.subList(0, Math.min(8, open.size())));
    }
  }

  /** Exactly-once: a read_committed reader sees one final record per key, and no early record after it. */
  private static void checkFinalOnce(String what, List<ConsumerRecord<String, String>> records, List<String> problems)
      throws IOException {
    Map<String, Integer> finals = new TreeMap<>();
    Set<String> closed = new TreeSet<>();
    List<String> bad = new ArrayList<>();
    for (ConsumerRecord<String, String> r : records) {
      String status = JSON.readTree(r.value()).get("status").asText();
      if (status.equals("final")) {
        finals.merge(r.key(), 1, Integer::sum);
      }
      if (status.equals("early") && closed.contains(r.key()) && bad.size() < 8) {
        bad.add(r.key() + " early at offset " + r.offset() + " after its final");
      }
      if (!status.equals("early")) {
        closed.add(r.key());
      }
    }
    finals.forEach((k, n) -> {
      if (n != 1 && bad.size() < 8) {
        bad.add(k + " has " + n + " final records");
      }
    });
    Set<String> noFinal = new TreeSet<>(closed);
    noFinal.removeAll(finals.keySet());
    noFinal.forEach(k -> bad.add(k + " closed without a final record"));
    if (!bad.isEmpty()) {
      problems.add(what + ": final must come exactly once per key, and nothing early after it, e.g. "
          + bad.subList(0, Math.min(8, bad.size())));
    }
  }

  /** Same keys, and per key the same uniques and frames (for hll: the same registers give the same estimate). */
  private static void compare(String what, Map<String, JsonNode> want, Map<String, JsonNode> got, List<String> problems) {
    keys(what, want.keySet(), got.keySet(), problems);
    List<String> wrong = new ArrayList<>();
    int wrongCount = 0;
    for (Map.Entry<String, JsonNode> e : want.entrySet()) {
      JsonNode g = got.get(e.getKey());
      if (g == null) {
        continue;
      }
      JsonNode w = e.getValue();
      boolean same = w.get("uniques").asLong() == g.get("uniques").asLong()
          && w.get("frames").asLong() == g.get("frames").asLong();
      if (!same && wrongCount++ < 8) {
        wrong.add(e.getKey() + " want " + w.get("uniques") + "/" + w.get("frames") + "/" + w.get("status").asText()
            + " got " + g.get("uniques") + "/" + g.get("frames") + "/" + g.get("status").asText());
      }
    }
    if (wrongCount > 0) {
      problems.add(what + ": " + wrongCount + " of " + want.size() + " windows differ (uniques/frames), e.g. " + wrong);
    }
  }

  /** Against Jackson + HashSet: frames always, uniques only for the exact counter. */
  private static void compareToReference(String what, Map<String, long[]> truth, Map<String, JsonNode> got,
      boolean exact, List<String> problems) {
    keys(what + " vs reference", truth.keySet(), got.keySet(), problems);
    List<String> wrong = new ArrayList<>();
    int wrongCount = 0;
    for (Map.Entry<String, long[]> e : truth.entrySet()) {
      JsonNode g = got.get(e.getKey());
      if (g == null) {
        continue;
      }
      long[] t = e.getValue();
      boolean same = g.get("frames").asLong() == t[1] && (!exact || g.get("uniques").asLong() == t[0]);
      if (!same && wrongCount++ < 8) {
        wrong.add(e.getKey() + " want " + t[0] + "/" + t[1] + " got " + g.get("uniques") + "/" + g.get("frames"));
      }
    }
    if (wrongCount > 0) {
      problems.add(what + " vs reference (Jackson + HashSet): " + wrongCount + " of " + truth.size() + " windows differ in "
          + (exact ? "uniques/frames" : "frames") + ", e.g. " + wrong);
    }
  }

  private static void keys(String what, Set<String> want, Set<String> got, List<String> problems) {
    if (!want.equals(got)) {
      Set<String> missing = new TreeSet<>(want);
      missing.removeAll(got);
      Set<String> extra = new TreeSet<>(got);
      extra.removeAll(want);
      problems.add(what + ": different keys: " + missing.size() + " missing " + first(missing) + ", " + extra.size()
          + " extra " + first(extra));
    }
  }

  private static List<String> first(Set<String> s) {
    return new ArrayList<>(s).subList(0, Math.min(6, s.size()));
  }

  private static Map<String, Integer> statuses(Map<String, JsonNode> last) {
    Map<String, Integer> count = new TreeMap<>();
    last.values().forEach(v -> count.merge(v.get("status").asText(), 1, Integer::sum));
    return count;
  }

  // ---------------------------------------------------------------------------------------------
  // Kafka helpers

  /** The instance contract: the same command line for every instance of a job; no scale-out option. */
  private static List<String> countArgs(String topic, String group, String output, String counter, boolean eos)
      throws Exception {
    List<String> args = new ArrayList<>(List.of("count", "--bootstrap-servers", SharedBroker.bootstrapServers(),
        "--topic", topic, "--group", group, "--output-topic", output, "--counter", counter, "--exit-on-idle", "8s",
        "--threads", "1", "--stats-interval", "0", "-X", "session.timeout.ms=" + SESSION_TIMEOUT_MS,
        "-X", "heartbeat.interval.ms=1000"));
    if (eos) {
      args.add("--exactly-once");
    }
    return args;
  }

  private static List<String> javaCommand(List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-Xmx512m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
        "-cp", System.getProperty("java.class.path"), "uniqcount.cli.Main"));
    cmd.addAll(args);
    return cmd;
  }

  private static Admin admin() throws Exception {
    return Admin.create(Map.of("bootstrap.servers", SharedBroker.bootstrapServers()));
  }

  private static void createTopic(String name, int partitions) throws Exception {
    SharedBroker.createTopic(name, partitions);
  }

  private static KafkaProducer<byte[], byte[]> producer() throws Exception {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBroker.bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
        ProducerConfig.LINGER_MS_CONFIG, 5));
  }

  /** Lines {@code [from, to)} at once, line i to partition i mod partitions. */
  private static void produce(String topic, int partitions, List<byte[]> lines, int from, int to) throws Exception {
    try (KafkaProducer<byte[], byte[]> p = producer()) {
      List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
      for (int i = from; i < to; i++) {
        sent.add(p.send(new ProducerRecord<>(topic, i % partitions, null, lines.get(i))));
      }
      p.flush();
      for (java.util.concurrent.Future<?> f : sent) {
        f.get();
      }
    }
  }

  /**
   * Produces lines {@code [from, size)} on its own thread, spread evenly over {@code duration}:
   * line i to partition i mod partitions, so every partition keeps receiving frames in order.
   */
  private static final class PacedProducer {
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile long sent;

    PacedProducer(String topic, int partitions, List<byte[]> lines, int from, Duration duration) {
      this.thread = new Thread(() -> {
        try (KafkaProducer<byte[], byte[]> p = producer()) {
          long t0 = System.nanoTime();
          int n = lines.size() - from;
          for (int i = from; i < lines.size(); i++) {
            if ((i - from) % 100 == 0) {
              long due = t0 + (long) ((i - from) * (double) duration.toNanos() / n);
              long wait = due - System.nanoTime();
              if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
              }
            }
            p.send(new ProducerRecord<>(topic, i % partitions, null, lines.get(i)), (meta, e) -> {
              if (e != null) {
                failure.compareAndSet(null, e);
              }
            });
            sent++;
          }
          p.flush();
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }, "paced-producer-" + topic);
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    long sent() {
      return sent;
    }

    void await(Duration timeout) throws InterruptedException {
      thread.join(timeout.toMillis());
      if (thread.isAlive()) {
        thread.interrupt();
        throw new AssertionError("the producer did not finish within " + timeout.toSeconds() + " s");
      }
      if (failure.get() != null) {
        throw new AssertionError("producing the frames failed", failure.get());
      }
    }
  }

  /** Waits (at most {@code timeout}, no failure) until the group has {@code n} members: the instances are in. */
  private static void awaitGroupMembers(String group, int n, Duration timeout, Timeline timeline) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    int members = 0;
    try (Admin admin = admin()) {
      while (System.nanoTime() < deadline) {
        try {
          ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get(5, TimeUnit.SECONDS).get(group);
          members = d.members().size();
          if (members >= n) {
            break;
          }
        } catch (Exception e) {
          // not there yet
        }
        Thread.sleep(200);
      }
    }
    timeline.note("group " + group + " has " + members + " member(s)");
  }

  /**
   * Every record of a topic as a {@code read_committed} reader sees it, up to the end of the log:
   * the reader must get past every record written (an open transaction that is never resolved
   * keeps it from doing so, which is a failure).
   */
  private static List<ConsumerRecord<String, String>> readCommitted(String topic, Duration timeout) throws Exception {
    List<ConsumerRecord<String, String>> all = new ArrayList<>();
    try (Admin admin = admin();
        KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBroker.bootstrapServers(),
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()))) {
      List<PartitionInfo> infos = c.listTopics(Duration.ofSeconds(10)).get(topic);
      if (infos == null) {
        return all; // never created: nothing published
      }
      List<TopicPartition> parts = new ArrayList<>();
      infos.forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
      Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
      parts.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest,
          new org.apache.kafka.clients.admin.ListOffsetsOptions(org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED))
          .all().get(10, TimeUnit.SECONDS);
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        boolean done = true;
        for (TopicPartition tp : parts) {
          if (c.position(tp) < ends.get(tp).offset()) {
            done = false;
          }
        }
        if (done) {
          return all;
        }
        if (System.nanoTime() > deadline) {
          Map<TopicPartition, Long> at = new TreeMap<>(java.util.Comparator.comparing(TopicPartition::partition));
          parts.forEach(tp -> at.put(tp, c.position(tp)));
          throw new AssertionError("a read_committed reader of " + topic + " is stuck at " + at + " of " + ends
              + " after " + timeout.toSeconds() + " s: a transaction left open");
        }
        c.poll(Duration.ofMillis(200)).forEach(all::add);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // child processes

  /** What happened when, for failure messages. */
  private static final class Timeline {
    private final long t0 = System.nanoTime();
    private final StringBuilder text = new StringBuilder();

    synchronized void note(String what) {
      text.append(String.format("  +%6.1f s  %s%n", (System.nanoTime() - t0) / 1e9, what));
    }

    @Override
    public synchronized String toString() {
      return "timeline:\n" + text;
    }
  }

  /** One {@code uniqcount count} child JVM; stdout and stderr go to {@code <name>.log}. */
  private static final class Instance {
    final String name;
    final Process process;
    final Path log;
    boolean aliveWhenSignalled = true;

    Instance(String name, Process process, Path log) {
      this.name = name;
      this.process = process;
      this.log = log;
    }

    int exitCode() {
      return process.isAlive() ? -1 : process.exitValue();
    }

    String log() throws IOException {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }
  }

  /** Every child started by one test; all of them SIGKILLed (if still there) when it closes. */
  private static final class Fleet implements AutoCloseable {
    private final Path dir;
    private final Timeline timeline;
    private final List<Instance> instances = new ArrayList<>();

    Fleet(Path dir, Timeline timeline) {
      this.dir = dir;
      this.timeline = timeline;
    }

    Instance start(String name, List<String> args) throws IOException {
      Path log = dir.resolve(name + ".log");
      Process p = new ProcessBuilder(javaCommand(args)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      Instance i = new Instance(name, p, log);
      instances.add(i);
      timeline.note("started " + name + " (pid " + p.pid() + ")");
      return i;
    }

    void kill(Instance i) throws InterruptedException {
      i.aliveWhenSignalled = i.process.isAlive();
      i.process.destroyForcibly();
      i.process.waitFor(30, TimeUnit.SECONDS);
      timeline.note("SIGKILLed " + i.name + (i.aliveWhenSignalled ? "" : " (had already exited " + i.exitCode() + ")"));
    }

    void stop(Instance i) throws IOException, InterruptedException {
      i.aliveWhenSignalled = i.process.isAlive();
      signal(i, "STOP");
      timeline.note("SIGSTOPped " + i.name + (i.aliveWhenSignalled ? "" : " (had already exited " + i.exitCode() + ")"));
    }

    void cont(Instance i) throws IOException, InterruptedException {
      signal(i, "CONT");
      timeline.note("SIGCONTed " + i.name);
    }

    private static void signal(Instance i, String signal) throws IOException, InterruptedException {
      if (i.process.isAlive()) {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(i.process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
          throw new IllegalStateException("kill -" + signal + " " + i.process.pid() + " failed");
        }
      }
    }

    /** Waits until every one of {@code which} has exited; fails (with the logs) if one is still running at the end. */
    void awaitAll(List<Instance> which, Duration timeout) throws Exception {
      long deadline = System.nanoTime() + timeout.toNanos();
      for (Instance i : which) {
        long left = deadline - System.nanoTime();
        if (!i.process.waitFor(Math.max(0, left), TimeUnit.NANOSECONDS)) {
          timeline.note(i.name + " still running");
          fail(i.name + " still running " + timeout.toSeconds() + " s after the wait began (every instance should exit"
              + " by itself once idle, the merging one once every partition is counted)\n" + timeline + tails());
        }
        timeline.note(i.name + " exited " + i.process.exitValue());
      }
    }

    /** The last lines of every child's log, with its exit status. */
    String tails() {
      StringBuilder s = new StringBuilder();
      for (Instance i : instances) {
        String text;
        try {
          text = i.log();
        } catch (IOException e) {
          text = "(cannot read " + i.log + ": " + e + ")";
        }
        s.append("--- ").append(i.name).append(" (pid ").append(i.process.pid()).append(", ")
            .append(i.process.isAlive() ? "running" : "exit " + i.process.exitValue()).append(") ").append(i.log)
            .append('\n').append(text.isBlank() ? "(empty log)\n" : tail(text, 15));
      }
      return s.toString();
    }

    @Override
    public void close() throws InterruptedException {
      for (Instance i : instances) {
        i.process.destroyForcibly(); // SIGKILL works on a stopped process too
      }
      for (Instance i : instances) {
        i.process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static String tail(String text, int lines) {
    List<String> all = text.lines().toList();
    StringBuilder s = new StringBuilder();
    for (String l : all.subList(Math.max(0, all.size() - lines), all.size())) {
      s.append("    ").append(l.length() > 400 ? l.substring(0, 400) + "…" : l).append('\n');
    }
    return s.toString();
  }

  private static void sleep(long millis) throws InterruptedException {
    Thread.sleep(millis);
  }
}
