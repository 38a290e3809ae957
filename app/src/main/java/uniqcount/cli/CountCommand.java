package uniqcount.cli;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import uniqcount.count.CounterSpec;
import uniqcount.frame.BlockScanner;
import uniqcount.kafka.KafkaSettings;
import uniqcount.source.KafkaFrameSource;
import uniqcount.window.EventTimePolicy;
import uniqcount.window.Granularity;

/** {@code uniqcount count}: the main job. Parses and validates options, then runs a {@link CountJob}. */
@Command(
    name = "count",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Counts distinct uids per calendar window by event time (ts) and publishes each window's count as JSON:",
      "early while open, final once closed, update when late frames change it.",
      "Reads JSON lines from files (plain or gzip) or stdin, or records from a Kafka topic."
    })
final class CountCommand implements Callable<Integer> {
  private final Io io;

  @Option(names = {"-i", "--input"}, paramLabel = "PATH", description = "Input file, glob (quote it) or - for stdin; repeatable. Default: stdin (unless --topic).")
  List<String> inputs = new ArrayList<>();

  @picocli.CommandLine.Mixin
  KafkaOptions kafkaOptions = new KafkaOptions();

  @Option(names = "--topic", paramLabel = "NAME", description = "Read frames from this Kafka topic (one frame per record), all partitions.")
  String topic;

  @Option(names = "--group", paramLabel = "ID", description = "Consumer group (default: uniqcount-<topic>); instances in one group share the partitions.")
  String group;

  @Option(names = "--from", paramLabel = "WHERE", defaultValue = "earliest", description = "earliest or latest (where the group has no committed offset), or an ISO instant: every partition from the first record at or after it (default: ${DEFAULT-VALUE}).")
  String from;

  @Option(names = "--exit-on-idle", paramLabel = "DURATION", description = "Kafka: once no record arrived for this long, flush every window as final and exit 0 (backfills, tests).")
  String exitOnIdle;

  @Option(names = {"-o", "--output"}, paramLabel = "PATH", description = "Results as JSON lines to this file, or - for stdout (default, unless --output-topic).")
  String output;

  @Option(names = "--output-topic", paramLabel = "NAME", description = "Results to this Kafka topic (key window/start; created compacted if missing).")
  String outputTopic;


  @Option(names = "--windows", paramLabel = "LIST", defaultValue = "minute,hour,day,week,month,year", description = "Windows to count, comma-separated (default: ${DEFAULT-VALUE}).")
  String windows;

  @Option(names = "--zone", paramLabel = "ZONE", defaultValue = "UTC", description = "Time zone of the calendar boundaries, e.g. UTC, Europe/Zurich (default: ${DEFAULT-VALUE}). Weeks are ISO weeks from Monday.")
  String zone;

  @Option(names = "--counter", paramLabel = "KIND", defaultValue = "hll", description = "hll (HyperLogLog, exact while a window is small) or exact (default: ${DEFAULT-VALUE}).")
  String counter;

  @Option(names = "--precision", paramLabel = "P", defaultValue = "14", description = "HyperLogLog precision: 2^P registers, 4..18 (default: ${DEFAULT-VALUE}, 0.81%% standard error).")
  int precision;

  @Option(names = "--threads", paramLabel = "N", description = "Worker threads, each owning its own windows (default: available cores).")
  Integer threads;

  @Option(names = "--uid-field", paramLabel = "NAME", defaultValue = "uid", description = "Root field holding the user id (default: ${DEFAULT-VALUE}).")
  String uidField;

  @Option(names = "--ts-field", paramLabel = "NAME", defaultValue = "ts", description = "Root field holding the event time, unix seconds (default: ${DEFAULT-VALUE}).")
  String tsField;

  @Option(names = "--max-frame-bytes", paramLabel = "BYTES", defaultValue = "1048576", description = "Longer frames are rejected as too_large (default: ${DEFAULT-VALUE}).")
  int maxFrameBytes;

  @Option(names = "--trust-input", description = "Stop reading a frame once its root uid and ts are found: several times faster, but the rest of the frame is not checked "
      + "(damage after those fields goes unnoticed and the frame is counted; a root uid or ts repeated after both were seen is ignored). For a producer you trust.")
  boolean trustInput;

  @Option(names = "--scanner", paramLabel = "KIND", defaultValue = "auto", description = "JSON fast pass: auto (the Vector API on JDK 21+ when it is enabled, as bin/uniqcount does; "
      + "else, and with --trust-input, none: that measured fastest), vector, swar, or exact (no fast pass) (default: ${DEFAULT-VALUE}).")
  String scanner;

  @Option(names = "--lateness", paramLabel = "DURATION", defaultValue = "5s", description = "A window is final once the watermark passes its end plus this (default: ${DEFAULT-VALUE}).")
  String lateness;

  @Option(names = "--late-horizon", paramLabel = "SPEC", defaultValue = "minute=6h,hour=2d,day=7d,week=7d,month=7d,year=7d",
      description = "How long after final a window still takes late frames (update records): one duration for all, or window=duration pairs (default: ${DEFAULT-VALUE}).")
  String lateHorizon;

  @Option(names = "--early-interval", paramLabel = "DURATION", defaultValue = "1s", description = "Least time between two early (or update) records of a window (default: ${DEFAULT-VALUE}).")
  String earlyInterval;

  @Option(names = "--emit", paramLabel = "WHAT", defaultValue = "early", description = "early: early, final and update records; final: no early records, e.g. for backfills (default: ${DEFAULT-VALUE}).")
  String emit;

  @Option(names = "--max-future", paramLabel = "DURATION", defaultValue = "1h", description = "Frames further ahead of the watermark or the wall clock are implausible, unless --jump-frames confirm a jump (default: ${DEFAULT-VALUE}).")
  String maxFuture;

  @Option(names = "--jump-frames", paramLabel = "N", defaultValue = "16", description = "Consistent frames that confirm a jump in event time, e.g. a gap in history (default: ${DEFAULT-VALUE}).")
  int jumpFrames;

  @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "30s", description = "A partition without data this long stops holding the watermark back (default: ${DEFAULT-VALUE}).")
  String idleTimeout;

  @Option(names = "--checkpoint", paramLabel = "DIR", description = "Snapshot all state and input positions here; a restart with the same options resumes from the latest snapshot.")
  java.nio.file.Path checkpoint;

  @Option(names = "--checkpoint-interval", paramLabel = "DURATION", defaultValue = "10s", description = "How often to snapshot (and at a clean end) (default: ${DEFAULT-VALUE}).")
  String checkpointInterval;

  @Option(names = "--exactly-once", description = "Kafka: results, the snapshot (in --checkpoint-topic) and the input offsets are committed in one transaction at every checkpoint; read_committed readers see each result once.")
  boolean exactlyOnce;

  @Option(names = "--checkpoint-topic", paramLabel = "NAME", defaultValue = "uniqcount-checkpoints", description = "Compacted topic for --exactly-once snapshots, key = the group (default: ${DEFAULT-VALUE}).")
  String checkpointTopic;

  @Option(names = "--stats-interval", paramLabel = "DURATION", defaultValue = "5s", description = "Progress stats on stderr this often; 0 for only the final line (default: ${DEFAULT-VALUE}).")
  String statsInterval;

  CountCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws Exception {
    CountJob job = new CountJob(config(), io);
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    Thread hook = new Thread(() -> {
      job.requestStop();
      try {
        done.await(15_000, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "uniqcount-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return job.run();
    } finally {
      done.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down already
      }
    }
  }

  /** Validates every option into an immutable config before anything starts. */
  CountConfig config() {
    EnumSet<Granularity> granularities = Granularity.parseList(windows);
    ZoneId zoneId;
    try {
      zoneId = ZoneId.of(zone);
    } catch (DateTimeException e) {
      throw new IllegalArgumentException("--zone: unknown time zone '" + zone + "' (e.g. UTC, Europe/Zurich, +02:00)");
    }
    CounterSpec spec;
    switch (counter.toLowerCase(Locale.ROOT)) {
      case "exact":
        spec = CounterSpec.exact();
        break;
      case "hll":
        spec = CounterSpec.hll(precision);
        break;
      default:
        throw new IllegalArgumentException("--counter must be hll or exact, got '" + counter + "'");
    }
    int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
    if (n < 1 || n > 256) {
      throw new IllegalArgumentException("--threads must be between 1 and 256, got " + n);
    }
    if (uidField.isEmpty() || tsField.isEmpty() || uidField.equals(tsField)) {
      throw new IllegalArgumentException("--uid-field and --ts-field must be non-empty and different");
    }
    if (maxFrameBytes < 16 || maxFrameBytes > (1 << 28)) {
      throw new IllegalArgumentException("--max-frame-bytes must be between 16 and 268435456, got " + maxFrameBytes);
    }
    Duration stats = Durations.parse("--stats-interval", statsInterval);
    List<String> in = inputs.isEmpty() ? List.of("-") : List.copyOf(inputs);
    KafkaSettings kafkaSettings = null;
    CountConfig.KafkaInput kafka = null;
    if (topic != null && !inputs.isEmpty()) {
      throw new IllegalArgumentException("give either --input or --topic, not both");
    }
    if (topic != null || outputTopic != null || kafkaOptions.given()) {
      kafkaSettings = kafkaOptions.settings();
    }
    if (topic != null) {
      KafkaFrameSource.validateFrom(from);
      kafka = new CountConfig.KafkaInput(topic, group == null ? "uniqcount-" + topic : group, from,
          exitOnIdle == null ? null : Durations.parse("--exit-on-idle", exitOnIdle));
    } else if (exitOnIdle != null || group != null) {
      throw new IllegalArgumentException((exitOnIdle != null ? "--exit-on-idle" : "--group") + " needs --topic");
    }
    boolean early;
    switch (emit.toLowerCase(Locale.ROOT)) {
      case "early":
        early = true;
        break;
      case "final":
        early = false;
        break;
      default:
        throw new IllegalArgumentException("--emit must be early or final, got '" + emit + "'");
    }
    if (jumpFrames < 1 || jumpFrames > 100_000) {
      throw new IllegalArgumentException("--jump-frames must be between 1 and 100000, got " + jumpFrames);
    }
    Duration interval = Durations.parse("--early-interval", earlyInterval);
    if (interval.isZero()) {
      throw new IllegalArgumentException("--early-interval must be more than 0");
    }
    EventTimePolicy policy = new EventTimePolicy(
        Durations.parse("--lateness", lateness).getSeconds(),
        parseHorizons(lateHorizon),
        Durations.parse("--max-future", maxFuture).getSeconds(),
        jumpFrames,
        Durations.parse("--idle-timeout", idleTimeout).toNanos(),
        granularities);
    return new CountConfig(in, output, granularities, zoneId, spec, n, uidField, tsField, maxFrameBytes, stats,
        policy, early, interval, kafkaSettings, kafkaOptions.timeout(), kafka, outputTopic,
        checkpoint, checkpointDuration(in), exactlyOnce, checkpointTopic, blockScanner(scanner, trustInput), trustInput);
  }

  /** The --scanner option: null for no fast pass. */
  private static BlockScanner blockScanner(String kind, boolean trustInput) {
    BlockScanner.Choice choice;
    try {
      choice = BlockScanner.Choice.valueOf(kind.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--scanner must be auto, swar, vector or exact, got '" + kind + "'");
    }
    try {
      return BlockScanner.choose(choice, trustInput);
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  private Duration checkpointDuration(List<String> in) {
    Duration d = Durations.parse("--checkpoint-interval", checkpointInterval);
    if (d.isZero()) {
      throw new IllegalArgumentException("--checkpoint-interval must be more than 0");
    }
    if (exactlyOnce && (topic == null || outputTopic == null)) {
      throw new IllegalArgumentException("--exactly-once needs --topic and --output-topic");
    }
    if (exactlyOnce && checkpoint != null) {
      throw new IllegalArgumentException("--exactly-once keeps its snapshots in --checkpoint-topic: drop --checkpoint");
    }
    if (checkpoint != null && topic == null && in.contains("-")) {
      throw new IllegalArgumentException("--checkpoint needs input that can be read again (files or --topic): stdin cannot be replayed after a restart");
    }
    return d;
  }

  /** {@code 2h} (every window) or {@code minute=1h,day=3d} (the others keep their defaults). */
  static Map<Granularity, Long> parseHorizons(String spec) {
    Map<Granularity, Long> horizons = new EnumMap<>(Granularity.class);
    if (!spec.contains("=")) {
      long all = Durations.parse("--late-horizon", spec).getSeconds();
      for (Granularity g : Granularity.values()) {
        horizons.put(g, all);
      }
      return horizons;
    }
    for (String pair : spec.split(",")) {
      String[] kv = pair.split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("--late-horizon: expected window=duration, got '" + pair + "'");
      }
      EnumSet<Granularity> g = Granularity.parseList(kv[0]);
      horizons.put(g.iterator().next(), Durations.parse("--late-horizon", kv[1]).getSeconds());
    }
    return horizons;
  }
}
