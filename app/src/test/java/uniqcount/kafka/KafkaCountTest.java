package uniqcount.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import uniqcount.cli.Cli;
import uniqcount.gen.GeneratorOptions;
import uniqcount.reference.GeneratedFrames;
import uniqcount.reference.ReferenceCounts;

/** uniqcount against a real broker (a child process started by the tests), no mocks. */
class KafkaCountTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static GeneratorOptions options(long start, long count, int rate, long seed) {
    GeneratorOptions o = GeneratedFrames.withFaults(start, count, rate, 2000, seed, 400, 20);
    o.delayPercent = 10;
    return o;
  }

  private static void createTopic(String name, int partitions) throws Exception {
    SharedBroker.createTopic(name, partitions);
  }

  private static void produce(String topic, List<byte[]> values) throws Exception {
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBroker.bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
        ProducerConfig.LINGER_MS_CONFIG, 5))) {
      List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
      for (byte[] v : values) {
        sent.add(p.send(new ProducerRecord<>(topic, v)));
      }
      p.flush();
      for (java.util.concurrent.Future<?> f : sent) {
        f.get(); // a record that never reached the topic fails here, not as a wrong count later
      }
    }
  }

  /** Every record of a topic, read until it stays quiet for a moment. */
  private static List<ConsumerRecord<String, String>> readAll(String topic) throws Exception {
    List<ConsumerRecord<String, String>> all = new ArrayList<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBroker.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "reader-" + topic + "-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()))) {
      c.subscribe(List.of(topic));
      long quietSince = System.nanoTime();
      while (System.nanoTime() - quietSince < 3_000_000_000L) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
          all.add(r);
          quietSince = System.nanoTime();
        }
      }
    }
    return all;
  }

  private static Map<String, JsonNode> latestByKey(List<ConsumerRecord<String, String>> records) throws Exception {
    return latestByKey(records, true);
  }

  /**
   * The last record per key; revisions go up ({@code strict}), or never down (without
   * --exactly-once a crash repeats what was published since the last commit).
   */
  private static Map<String, JsonNode> latestByKey(List<ConsumerRecord<String, String>> records, boolean strict)
      throws Exception {
    Map<String, JsonNode> latest = new TreeMap<>();
    for (ConsumerRecord<String, String> r : records) {
      JsonNode v = JSON.readTree(r.value());
      assertEquals(v.get("window").asText() + "/" + v.get("start").asText(), r.key());
      JsonNode before = latest.get(r.key());
      int was = before == null ? -1 : before.get("revision").asInt();
      int now = v.get("revision").asInt();
      assertTrue(strict ? now > was : now >= was, r.value());
      latest.put(r.key(), v);
    }
    return latest;
  }

  private static Map<String, JsonNode> latestFromStdout(String out) {
    return Cli.lastPerWindow(out);
  }

  @Test
  void shuffledFramesInAThreePartitionTopicGiveTheExactLatestValuePerKey() throws Exception {
    GeneratorOptions o = options(Instant.parse("2016-07-11T13:39:44Z").getEpochSecond(), 20_000, 20, 1);
    List<byte[]> lines = GeneratedFrames.lines(o);
    ReferenceCounts reference = GeneratedFrames.reference(o, lines);
    Collections.shuffle(lines, new Random(7));
    createTopic("frames-shuffled", 3);
    produce("frames-shuffled", lines);

    Cli.Run r = Cli.run("count", "--bootstrap-servers", SharedBroker.bootstrapServers(), "--topic", "frames-shuffled",
        "--output-topic", "results-shuffled", "--counter", "exact", "--exit-on-idle", "3s", "--threads", "2",
        "--stats-interval", "0");
    assertEquals(0, r.exit, r.err);
    assertEquals("", r.out, "results go to the topic only");

    Map<String, JsonNode> latest = latestByKey(readAll("results-shuffled"));
    assertEquals(reference.windows.keySet(), latest.keySet());
    reference.windows.forEach((key, truth) -> {
      assertEquals(truth.uids.size(), latest.get(key).get("uniques").asLong(), key);
      assertEquals(truth.frames, latest.get(key).get("frames").asLong(), key);
      assertFalse(latest.get(key).get("status").asText().equals("early"), key);
    });
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", SharedBroker.bootstrapServers()))) {
      var config = admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
          org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "results-shuffled"))).all().get();
      assertEquals("compact", config.values().iterator().next().get("cleanup.policy").value());
    }
  }

  @Test
  void aRestartInTheSameGroupResumesWhereTheLastRunStopped() throws Exception {
    long day = Instant.parse("2020-03-10T10:00:00Z").getEpochSecond();
    GeneratorOptions a = options(day, 3000, 10, 2);
    GeneratorOptions b = options(day + 86_400, 2000, 10, 3);
    a.bitflipProb = 0;
    b.bitflipProb = 0;
    List<byte[]> linesA = GeneratedFrames.lines(a);
    List<byte[]> linesB = GeneratedFrames.lines(b);
    createTopic("frames-restart", 2);
    produce("frames-restart", linesA);
    String[] args = {"count", "--bootstrap-servers", SharedBroker.bootstrapServers(), "--topic", "frames-restart",
        "--group", "restart-group", "--counter", "exact", "--exit-on-idle", "2s", "--windows", "day", "--stats-interval", "0"};
    Cli.Run first = Cli.run(args);
    assertEquals(0, first.exit, first.err);
    Map<String, JsonNode> one = latestFromStdout(first.out);
    assertEquals(GeneratedFrames.reference(a, linesA).windows.get("day/2020-03-10T00:00:00Z").frames,
        one.get("day/2020-03-10T00:00:00Z").get("frames").asLong());

    produce("frames-restart", linesB);
    Cli.Run second = Cli.run(args);
    assertEquals(0, second.exit, second.err);
    Map<String, JsonNode> two = latestFromStdout(second.out);
    // the first day comes again on stdout as it was (stdout cannot have kept it), not counted again
    assertEquals(one.get("day/2020-03-10T00:00:00Z"), two.get("day/2020-03-10T00:00:00Z"), "resumed, not re-read: " + two);
    assertEquals(GeneratedFrames.reference(b, linesB).windows.get("day/2020-03-11T00:00:00Z").frames,
        two.get("day/2020-03-11T00:00:00Z").get("frames").asLong());
  }

  /**
   * {@code --rolling} from a topic, across a restart of the job: every minute's rolling windows are
   * published once, each the exact set count of its range (frames no later than the lateness).
   */
  @Test
  void rollingWindowsFromATopicAreExactAndPublishedOnceAcrossARestart() throws Exception {
    long start = Instant.parse("2021-05-02T22:10:00Z").getEpochSecond();
    GeneratorOptions a = options(start, 7_200, 2, 21); // an hour
    // the next hour, after a quiet minute: the first run's flush published rolling windows up to the
    // end of its last minute, which frames of the second may not reach back into
    GeneratorOptions b = options(start + 3_660, 7_200, 2, 22);
    for (GeneratorOptions o : List.of(a, b)) {
      o.delaySec = 5;
    }
    List<byte[]> linesA = GeneratedFrames.lines(a);
    List<byte[]> linesB = GeneratedFrames.lines(b);
    ReferenceCounts reference = new ReferenceCounts(java.time.ZoneId.of("UTC")).range(start - 5, start + 7_261);
    linesA.forEach(l -> reference.add(l, 0, l.length));
    linesB.forEach(l -> reference.add(l, 0, l.length));
    createTopic("frames-rolling", 2);
    String[] args = {"count", "--bootstrap-servers", SharedBroker.bootstrapServers(), "--topic", "frames-rolling",
        "--group", "rolling-group", "--output-topic", "results-rolling", "--counter", "exact", "--lateness", "30s",
        "--rolling", "10m,1h", "--exit-on-idle", "2s", "--stats-interval", "0"};
    produce("frames-rolling", linesA);
    Cli.Run first = Cli.run(args);
    assertEquals(0, first.exit, first.err);
    produce("frames-rolling", linesB);
    Cli.Run second = Cli.run(args);
    assertEquals(0, second.exit, second.err);

    Map<String, Integer> seen = new TreeMap<>();
    int checked = 0;
    for (ConsumerRecord<String, String> r : readAll("results-rolling")) {
      JsonNode v = JSON.readTree(r.value());
      if (!v.get("window").asText().startsWith("rolling-")) {
        continue;
      }
      assertEquals(null, seen.put(r.key(), 1), "published twice: " + r.value());
      long from = Instant.parse(v.get("start").asText()).getEpochSecond();
      long to = Instant.parse(v.get("end").asText()).getEpochSecond();
      assertEquals(v.get("window").asText().equals("rolling-10m") ? 600 : 3600, to - from, r.value());
      long[] truth = reference.truthOf(from, to);
      assertEquals(truth[0] + "/" + truth[1], v.get("uniques") + "/" + v.get("frames"), r.value());
      checked++;
    }
    // one per minute and duration, from the end of the first minute with frames to the end of the last
    List<Long> minutes = new ArrayList<>();
    reference.windows.keySet().stream().filter(k -> k.startsWith("minute/"))
        .forEach(k -> minutes.add(Instant.parse(k.substring("minute/".length())).getEpochSecond()));
    long minutesSpanned = (Collections.max(minutes) - Collections.min(minutes)) / 60 + 1;
    assertTrue(minutesSpanned >= 121, "minutes: " + minutesSpanned);
    assertEquals(2 * minutesSpanned, checked, seen.keySet().toString());
  }

  @Test
  void staticMembershipGivesEachMemberItsOwnIdAndARestartResumes() throws Exception {
    long day = Instant.parse("2020-04-10T10:00:00Z").getEpochSecond();
    GeneratorOptions a = options(day, 3000, 10, 31);
    GeneratorOptions b = options(day + 86_400, 2000, 10, 32);
    a.bitflipProb = 0;
    b.bitflipProb = 0;
    List<byte[]> linesA = GeneratedFrames.lines(a);
    List<byte[]> linesB = GeneratedFrames.lines(b);
    createTopic("frames-static", 2);
    produce("frames-static", linesA);
    // two members in one instance: each must get its own group.instance.id (NAME-thread), or the
    // second fences the first
    String[] args = {"count", "--bootstrap-servers", SharedBroker.bootstrapServers(), "--topic", "frames-static",
        "--group", "static-group", "--counter", "exact", "--exit-on-idle", "2s", "--windows", "day", "--threads", "2",
        "--stats-interval", "0", "-X", "group.instance.id=host-a", "-X", "session.timeout.ms=60000"};
    Cli.Run first = Cli.run(args);
    assertEquals(0, first.exit, first.err);
    assertEquals(GeneratedFrames.reference(a, linesA).windows.get("day/2020-04-10T00:00:00Z").uids.size(),
        latestFromStdout(first.out).get("day/2020-04-10T00:00:00Z").get("uniques").asLong());
    produce("frames-static", linesB);
    // a static member does not leave the group when it stops; the same ids take their partitions
    // back at once (without them this restart would wait out the 60 s session timeout)
    long t0 = System.nanoTime();
    Cli.Run second = Cli.run(args);
    assertEquals(0, second.exit, second.err);
    assertTrue(System.nanoTime() - t0 < 45_000_000_000L, "rejoined without waiting for the session timeout");
    assertTrue(second.err.contains("resumes at offset"), second.err);
    assertEquals(GeneratedFrames.reference(b, linesB).windows.get("day/2020-04-11T00:00:00Z").frames,
        latestFromStdout(second.out).get("day/2020-04-11T00:00:00Z").get("frames").asLong());
  }

  @Test
  void fromAnInstantSeeksEveryPartitionByRecordTime() throws Exception {
    long day = Instant.parse("2021-05-01T10:00:00Z").getEpochSecond();
    GeneratorOptions a = options(day, 1500, 10, 4);
    GeneratorOptions b = options(day + 86_400, 1500, 10, 5);
    a.bitflipProb = 0;
    b.bitflipProb = 0;
    List<byte[]> linesB = GeneratedFrames.lines(b);
    createTopic("frames-from", 3);
    produce("frames-from", GeneratedFrames.lines(a));
    Thread.sleep(1500);
    Instant between = Instant.now();
    Thread.sleep(500);
    produce("frames-from", linesB);
    Cli.Run r = Cli.run("count", "--bootstrap-servers", SharedBroker.bootstrapServers(), "--topic", "frames-from",
        "--from", between.toString(), "--counter", "exact", "--exit-on-idle", "2s", "--windows", "day", "--stats-interval", "0");
    assertEquals(0, r.exit, r.err);
    Map<String, JsonNode> latest = latestFromStdout(r.out);
    assertEquals(List.of("day/2021-05-02T00:00:00Z"), new ArrayList<>(latest.keySet()), r.err);
    assertEquals(GeneratedFrames.reference(b, linesB).windows.get("day/2021-05-02T00:00:00Z").frames,
        latest.get("day/2021-05-02T00:00:00Z").get("frames").asLong(), r.err);
  }

  @Test
  void killedAtRandomPointsAKafkaRunEndsExactlyLikeAnUninterruptedOne(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    GeneratorOptions o = options(Instant.parse("2016-07-11T13:39:44Z").getEpochSecond(), 300_000, 100, 9);
    o.sizeBytes = 300;
    List<byte[]> lines = GeneratedFrames.lines(o);
    createTopic("frames-kill", 3);
    ReferenceCounts reference = GeneratedFrames.reference(o, lines);
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"), "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
        "uniqcount.cli.Main", "count", "--bootstrap-servers", SharedBroker.bootstrapServers(), "--topic", "frames-kill",
        "--group", "kill-test", "--counter", "exact", "--output-topic", "results-kill",
        "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000",
        "--checkpoint-interval", "150ms", "--exit-on-idle", "3s", "--threads", "1", "--stats-interval", "0"));
    Random random = new Random(5);
    int killedMidRun = 0;
    for (int i = 0; i < 5; i++) {
      // each run gets a fifth of the frames more to count, so every kill hits a run with work to do
      produce("frames-kill", lines.subList(lines.size() * i / 5, lines.size() * (i + 1) / 5));
      long committed = endOffset("kill-test-state");
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
      // kill at a random point after this run has committed state of its own, mid-run
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (p.isAlive() && System.nanoTime() < deadline && endOffset("kill-test-state") <= committed) {
        Thread.sleep(10);
      }
      Thread.sleep(random.nextInt(300));
      if (p.isAlive()) {
        killedMidRun++;
      }
      p.destroyForcibly();
      p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
    }
    assertTrue(killedMidRun >= 5, "runs killed while working: " + killedMidRun);
    Process last = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
    assertTrue(last.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
    String log = java.nio.file.Files.readString(dir.resolve("child.log"));
    assertEquals(0, last.exitValue(), log);
    assertTrue(log.contains("from the state in topic 'kill-test-state'"), log);

    Map<String, String> got = new TreeMap<>();
    latestByKey(readAll("results-kill"), false).forEach((k, v) -> got.put(k, v.get("uniques") + "/" + v.get("frames")));
    Map<String, String> truth = new TreeMap<>();
    reference.windows.forEach((k, w) -> truth.put(k, w.uids.size() + "/" + w.frames));
    assertEquals(truth, got);
  }

  /** Sum of the end offsets (last stable offsets) of a topic's partitions, 0 if it does not exist yet. */
  private static long endOffset(String topic) throws Exception {
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBroker.bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()))) {
      if (c.listTopics().get(topic) == null) {
        return 0;
      }
      List<org.apache.kafka.common.TopicPartition> parts = new ArrayList<>();
      for (org.apache.kafka.common.PartitionInfo p : c.partitionsFor(topic)) {
        parts.add(new org.apache.kafka.common.TopicPartition(topic, p.partition()));
      }
      return c.endOffsets(parts).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  @Test
  void exactlyOnceReadCommittedReadersSeeEveryResultOnceAcrossKills(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    GeneratorOptions o = options(Instant.parse("2016-07-11T13:39:44Z").getEpochSecond(), 200_000, 100, 10);
    o.sizeBytes = 300;
    List<byte[]> lines = GeneratedFrames.lines(o);
    createTopic("frames-eos", 3);
    produce("frames-eos", lines);
    ReferenceCounts reference = GeneratedFrames.reference(o, lines);
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"), "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
        "uniqcount.cli.Main", "count", "--bootstrap-servers", SharedBroker.bootstrapServers(), "--topic", "frames-eos",
        "--group", "eos-test", "--counter", "exact", "--output-topic", "results-eos", "--exactly-once",
        "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000",
        "--checkpoint-interval", "200ms", "--exit-on-idle", "3s",
        "--threads", "1", "--stats-interval", "0"));
    Random random = new Random(8);
    for (int i = 0; i < 3; i++) {
      long committed = endOffset("eos-test-state");
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
      // kill at a random point after this run has committed a transaction of its own
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (p.isAlive() && System.nanoTime() < deadline && endOffset("eos-test-state") <= committed) {
        Thread.sleep(50);
      }
      Thread.sleep(random.nextInt(300));
      p.destroyForcibly();
      p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
    }
    Process last = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
    assertTrue(last.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
    String log = java.nio.file.Files.readString(dir.resolve("child.log"));
    assertEquals(0, last.exitValue(), log);
    assertTrue(log.contains("from the state in topic 'eos-test-state'"), log);

    List<ConsumerRecord<String, String>> records = readAll("results-eos");
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (ConsumerRecord<String, String> r : records) {
      String revision = JSON.readTree(r.value()).get("revision").asText();
      assertTrue(seen.add(r.key() + "#" + revision), "seen twice: " + r.key() + " revision " + revision);
    }
    Map<String, JsonNode> latest = latestByKey(records);
    assertEquals(reference.windows.keySet(), latest.keySet());
    reference.windows.forEach((key, truth) -> {
      assertEquals(truth.uids.size(), latest.get(key).get("uniques").asLong(), key);
      assertEquals(truth.frames, latest.get(key).get("frames").asLong(), key);
    });
  }

  @Test
  void aRunWithMoreThreadsThanPartitionsResumesItsStateAfterACleanStop() throws Exception {
    long day = Instant.parse("2022-01-10T10:00:00Z").getEpochSecond();
    GeneratorOptions a = options(day, 3000, 10, 21);
    GeneratorOptions b = options(day + 86_400, 2000, 10, 22);
    a.bitflipProb = 0;
    b.bitflipProb = 0;
    List<byte[]> linesA = GeneratedFrames.lines(a);
    List<byte[]> linesB = GeneratedFrames.lines(b);
    createTopic("frames-threads", 2);
    produce("frames-threads", linesA);
    String[] args = {"count", "--bootstrap-servers", SharedBroker.bootstrapServers(), "--topic", "frames-threads",
        "--counter", "exact", "--exit-on-idle", "2s", "--windows", "day,week", "--threads", "4",
        "--checkpoint-interval", "100ms", "--stats-interval", "0"};
    Cli.Run first = Cli.run(args);
    assertEquals(0, first.exit, first.err);
    produce("frames-threads", linesB);
    Cli.Run second = Cli.run(args);
    assertEquals(0, second.exit, second.err);
    assertTrue(second.err.contains("from the state in topic 'uniqcount-frames-threads-state'"), second.err);
    Map<String, JsonNode> latest = latestFromStdout(second.out);
    ReferenceCounts ra = GeneratedFrames.reference(a, linesA);
    ReferenceCounts rb = GeneratedFrames.reference(b, linesB);
    assertEquals(ra.windows.get("day/2022-01-10T00:00:00Z").frames, latest.get("day/2022-01-10T00:00:00Z").get("frames").asLong());
    assertEquals(rb.windows.get("day/2022-01-11T00:00:00Z").frames, latest.get("day/2022-01-11T00:00:00Z").get("frames").asLong());
    java.util.Set<String> users = new java.util.HashSet<>(ra.windows.get("week/2022-01-10T00:00:00Z").uids);
    users.addAll(rb.windows.get("week/2022-01-10T00:00:00Z").uids);
    assertEquals(users.size(), latest.get("week/2022-01-10T00:00:00Z").get("uniques").asLong(), "the week spans both runs");
  }

  @Test
  void generateWritesEveryLineAsARecord() throws Exception {
    Cli.Run r = Cli.run("generate", "--bootstrap-servers", SharedBroker.bootstrapServers(), "--topic", "frames-generated",
        "-c", "3000", "-l", "300", "--bad-prob", "0.01", "--compression", "zstd");
    assertEquals(0, r.exit, r.err);
    List<ConsumerRecord<String, String>> records = readAll("frames-generated");
    assertEquals(3000, records.size());
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", SharedBroker.bootstrapServers()))) {
      assertEquals(3, admin.describeTopics(List.of("frames-generated")).allTopicNames().get()
          .get("frames-generated").partitions().size(), "created with --partitions 3");
    }
  }

  @Test
  void anUnreachableBrokerGivesOneClearLineAndExitOneWithoutHanging() {
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      Cli.Run r = Cli.run("count", "--bootstrap-servers", "127.0.0.1:1", "--topic", "frames", "--kafka-timeout", "3s",
          "-X", "sasl.jaas.config=TOP-SECRET-VALUE");
      assertEquals(1, r.exit, r.err);
      assertEquals(1, r.err.strip().split("\n").length, r.err);
      assertTrue(r.err.contains("cannot reach Kafka at 127.0.0.1:1"), r.err);
      assertFalse(r.err.contains("TOP-SECRET"), r.err);
      Cli.Run g = Cli.run("generate", "--bootstrap-servers", "127.0.0.1:1", "--topic", "frames", "--kafka-timeout", "3s", "-c", "10");
      assertEquals(1, g.exit, g.err);
      assertTrue(g.err.contains("cannot reach Kafka"), g.err);
    });
  }

  @Test
  void aMissingTopicAndBadKafkaOptionsAreClearErrors() throws Exception {
    Cli.Run r = Cli.run("count", "--bootstrap-servers", SharedBroker.bootstrapServers(), "--topic", "no-such-topic");
    assertEquals(1, r.exit, r.err);
    assertTrue(r.err.contains("topic 'no-such-topic' does not exist"), r.err);
    Cli.Run both = Cli.run("count", "--input", "x", "--topic", "t", "--bootstrap-servers", "h:1");
    assertEquals(2, both.exit);
    Cli.Run noServers = Cli.run("count", "--topic", "t");
    assertEquals(2, noServers.exit);
    assertTrue(noServers.err.contains("--bootstrap-servers"), noServers.err);
    Cli.Run badFrom = Cli.run("count", "--topic", "t", "--bootstrap-servers", "h:1", "--from", "yesterday");
    assertEquals(2, badFrom.exit);
    assertTrue(badFrom.err.contains("--from"), badFrom.err);
    Cli.Run badX = Cli.run("count", "--topic", "t", "--bootstrap-servers", "h:1", "-X", "novalue");
    assertEquals(2, badX.exit);
    Cli.Run emptyGroup = Cli.run("count", "--topic", "t", "--bootstrap-servers", "h:1", "--group", "");
    assertEquals(2, emptyGroup.exit);
    assertTrue(emptyGroup.err.contains("--group must not be empty"), emptyGroup.err);
  }

  @Test
  void kafkaClientConfigurationErrorsAreOneLineNamingTheCauseNeverAValue() {
    String[][] cases = {
        {"request.timeout.ms=S3CRETpw", null, "Invalid value for configuration request.timeout.ms"},
        {"security.protocol=SSL", "ssl.truststore.location=/nope/truststore.jks", "no such file /nope/truststore.jks"},
        {"security.protocol=SASL_PLAINTEXT", "sasl.jaas.config=S3CRET-jaas-line", "JAAS config"},
    };
    for (String[] c : cases) {
      List<String> args = new ArrayList<>(List.of("count", "--bootstrap-servers", "127.0.0.1:1", "--topic", "t",
          "--kafka-timeout", "2s", "-X", c[0], "-X", "ssl.truststore.password=S3CRETpw", "-X", "sasl.mechanism=PLAIN"));
      if (c[1] != null) {
        args.addAll(List.of("-X", c[1]));
      }
      Cli.Run r = Cli.run(args.toArray(new String[0]));
      assertEquals(1, r.exit, r.err);
      assertEquals(1, r.err.strip().split("\n").length, r.err);
      assertTrue(r.err.startsWith("uniqcount count: cannot set up the Kafka admin client: "), r.err);
      assertTrue(r.err.contains(c[2]), r.err);
      assertFalse(r.err.contains("S3CRET"), r.err);
    }
  }
}
