package uniqcount.cli;

import java.nio.file.Paths;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import uniqcount.UserException;
import uniqcount.count.CounterSpec;
import uniqcount.engine.Job;
import uniqcount.engine.JobConfig;
import uniqcount.frame.BlockScanner;
import uniqcount.metrics.MetricsServer;
import uniqcount.window.Clock;
import uniqcount.window.EventTimePolicy;
import uniqcount.window.Granularity;
import uniqcount.window.Rolling;

/** {@code uniqcount count}: the main job. Validates the options into a {@link JobConfig} and runs a {@link Job}. */
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
  private final Job.Streams io;

  @Option(names = {"-i", "--input"}, paramLabel = "PATH", description = "Input file, glob (quote it) or - for stdin; repeatable. Default: stdin (unless --topic).")
  List<String> inputs = new ArrayList<>();

  @picocli.CommandLine.Mixin
  KafkaOptions kafkaOptions = new KafkaOptions();

  @Option(names = "--topic", paramLabel = "NAME", description = "Read frames from this Kafka topic (one frame per record), all partitions.")
  String topic;

  @Option(names = "--group", paramLabel = "ID", description = "Consumer group (default: uniqcount-<topic>): every instance started with the same group is one job with one answer; its state is in topic <group>-state.")
  String group;

  @Option(names = "--from", paramLabel = "WHERE", defaultValue = "earliest", description = "earliest or latest (for a partition with no state yet), or an ISO instant: every such partition from the first record at or after it (default: ${DEFAULT-VALUE}).")
  String from;

  @Option(names = "--exit-on-idle", paramLabel = "DURATION", description = "Kafka: once no record arrived for this long, flush every window as final and exit 0 (backfills, tests).")
  String exitOnIdle;

  @Option(names = {"-o", "--output"}, paramLabel = "PATH", description = "Results as JSON lines to this file, or - for stdout (default, unless --output-topic).")
  String output;

  @Option(names = "--output-topic", paramLabel = "NAME", description = "Results to this Kafka topic (key window/start; created compacted if missing).")
  String outputTopic;

  @Option(names = "--emit-sketch", description = "hll: every result carries \"sketch\", base64 of the window's Apache DataSketches HLL_8 image (compact; a small window as its coupons), for Druid, Spark, Pinot or DataSketches to merge.")
  boolean emitSketch;

  @Option(names = "--rolling", paramLabel = "LIST", description = "Also publish rolling windows, e.g. 1h,24h,7d,30d: every minute, \"the last D up to the watermark\" as records with window \"rolling-24h\", the union of the minute, hour and day windows that tile it (exact with --counter exact). Up to 1d every minute, longer (whole hours, at most 31d) every hour. Holds those windows that long.")
  String rolling;

  @Option(names = "--windows", paramLabel = "LIST", defaultValue = "minute,hour,day,week,month,year", description = "Windows to count, comma-separated (default: ${DEFAULT-VALUE}).")
  String windows;

  @Option(names = "--zone", paramLabel = "ZONE", defaultValue = "UTC", description = "Time zone of the calendar boundaries, e.g. UTC, Europe/Zurich (default: ${DEFAULT-VALUE}). Weeks are ISO weeks from Monday.")
  String zone;

  @Option(names = "--counter", paramLabel = "KIND", defaultValue = "hll", description = "hll (HyperLogLog, exact while a window is small) or exact (default: ${DEFAULT-VALUE}).")
  String counter;

  @Option(names = "--precision", paramLabel = "P", defaultValue = "14", description = "HyperLogLog precision: 2^P registers, 4..18 (default: ${DEFAULT-VALUE}, 0.81%% standard error).")
  int precision;

  @Option(names = "--read-threads", paramLabel = "N", description = "Files: threads that read and decompress. Two or "
      + "more inputs are read side by side, one per thread; otherwise a gzip input of many members (generate -o x.gz, "
      + "bgzip, concatenated files) is inflated by N threads. The history is still applied in the order given "
      + "(default: half the cores and at least 2). Not with --checkpoint.")
  Integer readThreads;

  @Option(names = "--threads", paramLabel = "N", description = "Worker threads that decode frames in parallel (default: available cores; one fewer when one thread inflates all the input, a gzip of one member); each input partition's frames are counted in input order.")
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

  @Option(names = "--jump-frames", paramLabel = "N", defaultValue = "16", description = "Consistent frames that confirm a jump in event time near the wall clock (a live restart); in history (a gap) 17 times as many (default: ${DEFAULT-VALUE}).")
  int jumpFrames;

  @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "30s", description = "A partition without data this long stops holding the watermark back (default: ${DEFAULT-VALUE}).")
  String idleTimeout;

  @Option(names = "--checkpoint", paramLabel = "DIR", description = "Files: snapshot all state and input positions here; a restart with the same options resumes from the latest snapshot. (Kafka input always keeps its state in its state topic.)")
  java.nio.file.Path checkpoint;

  @Option(names = "--checkpoint-interval", paramLabel = "DURATION", description = "How often to snapshot (files, default 10s) or to commit state and offsets (Kafka, default 1s); also at a clean end.")
  String checkpointInterval;

  @Option(names = "--exactly-once", description = "Kafka: each result goes out in the transaction that commits the state and input offsets it follows from; read_committed readers see each (window, revision) once, across instances, kills and restarts.")
  boolean exactlyOnce;

  @Option(names = "--state-topic", paramLabel = "NAME", description = "Kafka: the compacted topic holding the job's state, shared by every instance of the group (default: <group>-state).")
  String stateTopic;

  @Option(names = "--checkpoint-topic", paramLabel = "NAME", hidden = true)
  String checkpointTopic;

  @Option(names = "--stats-interval", paramLabel = "DURATION", defaultValue = "5s", description = "Progress stats on stderr this often; 0 for only the final line (default: ${DEFAULT-VALUE}).")
  String statsInterval;

  @Option(names = "--progress", paramLabel = "WHEN", defaultValue = "auto", description = "auto: one line redrawn in place (percent, rates, ETA, event time) when stderr is a terminal, else the --stats-interval lines; always; never (default: ${DEFAULT-VALUE}).")
  String progress;

  @Option(names = "--metrics-port", paramLabel = "PORT", description = "Serve Prometheus metrics at http://HOST:PORT/metrics and health at /healthz (0: any free port, printed).")
  Integer metricsPort;

  @Option(names = "--metrics-host", paramLabel = "HOST", defaultValue = "127.0.0.1", description = "Address the metrics server listens on (default: ${DEFAULT-VALUE}; 0.0.0.0 for every interface).")
  String metricsHost;

  CountCommand(Job.Streams io) {
    this.io = io;
  }

  @Override
  public Integer call() {
    if (!List.of("auto", "always", "never").contains(progress)) {
      throw UserException.usage("--progress " + progress + ": expected auto, always or never");
    }
    if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
      throw UserException.usage("--metrics-port " + metricsPort + ": expected 0..65535");
    }
    JobConfig config = config();
    // auto: not when the results go to the same terminal (the line would tear them)
    boolean line = progress.equals("always") || progress.equals("auto") && ProgressLine.stderrIsTerminal()
        && !(config.output().stdout() && ProgressLine.stdoutIsTerminal());
    AtomicReference<Job> running = new AtomicReference<>();
    ProgressLine bar = line ? new ProgressLine(io.err(), () -> running.get().status()) : null;
    if (bar != null) {
      config = config.withStatsInterval(Duration.ZERO); // the line replaces the periodic stats lines
    }
    Job job = new Job(config, bar == null ? io : new Job.Streams(io.in(), io.out(), bar.messages()), Clock.SYSTEM);
    running.set(job);
    MetricsServer metrics = null;
    if (metricsPort != null) {
      metrics = MetricsServer.start(metricsHost, metricsPort, job::status, job::healthy);
      io.err().println("uniqcount: metrics at http://" + hostForUrl(metricsHost) + ":" + metrics.port() + "/metrics");
    }
    if (bar != null) {
      bar.start();
    }
    MetricsServer served = metrics;
    // before a stop lets the JVM go: no line left on the terminal, the port closed
    return runUntilStopped(job, () -> {
      if (bar != null) {
        bar.stop();
      }
      if (served != null) {
        served.close();
      }
    });
  }

  private static String hostForUrl(String host) {
    return host.contains(":") ? "[" + host + "]" : host;
  }

  private int runUntilStopped(Job job, Runnable cleanUp) {
    CountDownLatch done = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      job.requestStop();
      try {
        done.await(15_000, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "uniqcount-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return job.run();
    } finally {
      cleanUp.run();
      done.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down already
      }
    }
  }

  /** Validates every option into an immutable config before anything starts. */
  JobConfig config() {
    try {
      return validate();
    } catch (IllegalArgumentException e) {
      throw UserException.usage(e.getMessage());
    }
  }

  private JobConfig validate() {
    JobConfig.Builder b = JobConfig.builder();
    EnumSet<Granularity> granularities = Granularity.parseList(windows);
    b.windows(granularities);
    try {
      b.zone(ZoneId.of(zone));
    } catch (DateTimeException e) {
      throw UserException.usage("--zone: unknown time zone '" + zone + "' (e.g. UTC, Europe/Zurich, +02:00)");
    }
    switch (counter.toLowerCase(Locale.ROOT)) {
      case "exact":
        b.counter(CounterSpec.exact());
        break;
      case "hll":
        b.counter(CounterSpec.hll(precision));
        break;
      default:
        throw UserException.usage("--counter must be hll or exact, got '" + counter + "'");
    }
    if (threads != null && (threads < 1 || threads > 256)) {
      throw UserException.usage("--threads must be between 1 and 256, got " + threads);
    }
    if (uidField.isEmpty() || tsField.isEmpty() || uidField.equals(tsField)) {
      throw UserException.usage("--uid-field and --ts-field must be non-empty and different");
    }
    b.fields(uidField, tsField);
    if (maxFrameBytes < 16 || maxFrameBytes > (1 << 28)) {
      throw UserException.usage("--max-frame-bytes must be between 16 and 268435456, got " + maxFrameBytes);
    }
    b.maxFrameBytes(maxFrameBytes);
    b.statsInterval(Durations.parse("--stats-interval", statsInterval));
    if (topic != null && !inputs.isEmpty()) {
      throw UserException.usage("give either --input or --topic, not both");
    }
    if (topic != null || outputTopic != null || kafkaOptions.given()) {
      b.kafka(kafkaOptions.settings(), kafkaOptions.timeout());
    }
    List<String> in = inputs.isEmpty() ? List.of("-") : List.copyOf(inputs);
    if (group != null && group.isBlank()) {
      throw UserException.usage("--group must not be empty");
    }
    if (topic != null) {
      b.topic(topic, group == null ? "uniqcount-" + topic : group, startPosition(from),
          exitOnIdle == null ? null : Durations.parse("--exit-on-idle", exitOnIdle));
    } else if (exitOnIdle != null || group != null) {
      throw UserException.usage((exitOnIdle != null ? "--exit-on-idle" : "--group") + " needs --topic");
    } else {
      if (readThreads != null && (readThreads < 1 || readThreads > 64)) {
        throw UserException.usage("--read-threads must be 1..64, got " + readThreads);
      }
      if (readThreads != null && readThreads > 1 && checkpoint != null) {
        throw UserException.usage("--read-threads " + readThreads + " cannot be used with --checkpoint: a checkpoint records"
            + " where the one reader stands in each input; leave --read-threads out");
      }
      b.files(in, readThreads == null ? 0 : readThreads);
    }
    b.threads(threads == null ? 0 : threads); // 0: the input decides (the cores, or one fewer)
    if (topic != null && readThreads != null) {
      throw UserException.usage("--read-threads is for file input; a topic is read by one consumer per --threads");
    }
    boolean toStdout = output == null && outputTopic == null || "-".equals(output);
    if (emitSketch && !"hll".equalsIgnoreCase(counter)) {
      throw UserException.usage("--emit-sketch needs --counter hll (an exact set has no sketch to merge)");
    }
    b.output(new JobConfig.Output(toStdout, output == null || "-".equals(output) ? null : Paths.get(output), outputTopic,
        emitSketch));
    JobConfig.Emit emitWhat;
    try {
      emitWhat = JobConfig.Emit.valueOf(emit.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw UserException.usage("--emit must be early or final, got '" + emit + "'");
    }
    if (jumpFrames < 1 || jumpFrames > 100_000) {
      throw UserException.usage("--jump-frames must be between 1 and 100000, got " + jumpFrames);
    }
    Duration interval = Durations.parse("--early-interval", earlyInterval);
    if (interval.isZero()) {
      throw UserException.usage("--early-interval must be more than 0");
    }
    b.emit(emitWhat, interval);
    b.policy(new EventTimePolicy(
        Durations.parse("--lateness", lateness).getSeconds(),
        parseHorizons(lateHorizon),
        Durations.parse("--max-future", maxFuture).getSeconds(),
        jumpFrames,
        Durations.parse("--idle-timeout", idleTimeout).toNanos(),
        granularities));
    if (rolling != null) {
      List<Duration> durations = new ArrayList<>();
      for (String part : rolling.split(",", -1)) {
        if (part.isBlank()) {
          throw UserException.usage("--rolling: an empty duration in '" + rolling + "' (write e.g. 1h,24h,7d)");
        }
        Duration d = Durations.parse("--rolling", part);
        String text = "'" + part.trim() + "'";
        if (d.isZero() || d.getNano() != 0 || d.getSeconds() % 60 != 0) {
          throw UserException.usage("--rolling: " + text + " is not a whole number of minutes, at least 1m (write e.g. 1h,24h,7d)");
        }
        if (d.getSeconds() > 86_400 && d.getSeconds() % 3600 != 0) {
          throw UserException.usage("--rolling: " + text + " is longer than a day, so it must be whole hours"
              + " (longer windows are published every hour, from a whole hour)");
        }
        if (d.getSeconds() > Rolling.MAX_SEC) {
          throw UserException.usage("--rolling: " + text + " is longer than 31d (hour windows are held that long in every"
              + " partition; for longer ranges use `uniqcount query`)");
        }
        durations.add(d);
      }
      b.rolling(Rolling.of(durations));
    }
    JobConfig.Recovery recovery = recovery(in);
    if (topic != null) {
      checkTransactionTimeout(recovery.interval());
    }
    b.recovery(recovery);
    BlockScanner.Choice choice;
    try {
      choice = BlockScanner.Choice.valueOf(scanner.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw UserException.usage("--scanner must be auto, swar, vector or exact, got '" + scanner + "'");
    }
    try {
      BlockScanner.choose(choice, trustInput); // fails now, before anything starts, if it cannot be had
    } catch (IllegalStateException e) {
      throw UserException.usage(e.getMessage());
    }
    b.decoder(choice, trustInput);
    return b.build();
  }

  /** {@code --from}: earliest, latest or an ISO instant. */
  private static JobConfig.StartPosition startPosition(String from) {
    switch (from) {
      case "earliest":
        return JobConfig.StartPosition.EARLIEST;
      case "latest":
        return JobConfig.StartPosition.LATEST;
      default:
        try {
          return new JobConfig.StartPosition(JobConfig.StartPosition.Kind.INSTANT, Instant.parse(from));
        } catch (DateTimeException e) {
          throw UserException.usage("--from must be earliest, latest or an ISO-8601 instant such as 2016-07-11T13:00:00Z, got '"
              + from + "'");
        }
    }
  }

  /**
   * A Kafka job's transaction stays open from one commit to the next: the interval must be shorter
   * than the producer's transaction.timeout.ms, or the broker aborts it and the commit is refused.
   */
  private void checkTransactionTimeout(Duration interval) {
    Object configured = kafkaOptions.settings().with(Map.of()).get("transaction.timeout.ms");
    long timeoutMs = uniqcount.kafka.GroupMember.DEFAULT_TRANSACTION_TIMEOUT_MS;
    if (configured != null) {
      try {
        timeoutMs = Long.parseLong(configured.toString().trim());
      } catch (NumberFormatException e) {
        throw UserException.usage("transaction.timeout.ms must be a number of milliseconds");
      }
    }
    if (interval.toMillis() > timeoutMs / 2) {
      throw UserException.usage("--checkpoint-interval " + (checkpointInterval != null ? checkpointInterval
          : interval.toMillis() + "ms") + " must be at most half the producer's"
          + " transaction.timeout.ms (" + timeoutMs + " ms) with Kafka input: a transaction stays open from one"
          + " commit to the next, and a slow commit needs room (raise it with -X"
          + " transaction.timeout.ms=..., up to the broker's transaction.max.timeout.ms)");
    }
  }

  private JobConfig.Recovery recovery(List<String> in) {
    Duration d = Durations.parse("--checkpoint-interval",
        checkpointInterval != null ? checkpointInterval : topic != null ? "1s" : "10s");
    if (d.isZero()) {
      throw UserException.usage("--checkpoint-interval must be more than 0");
    }
    String group = this.group == null ? "uniqcount-" + topic : this.group;
    if (checkpointTopic != null) {
      throw UserException.usage("--checkpoint-topic is gone: a Kafka job keeps its state in the compacted topic '"
          + (stateTopic != null ? stateTopic : group + "-state") + "' (--state-topic NAME to choose it)");
    }
    if (exactlyOnce && (topic == null || outputTopic == null)) {
      throw UserException.usage("--exactly-once needs --topic and --output-topic");
    }
    if (checkpoint != null && topic != null) {
      throw UserException.usage("--checkpoint is for file input: a Kafka job keeps its state in its state topic '"
          + (stateTopic != null ? stateTopic : group + "-state") + "', shared by every instance of group '" + group
          + "'; drop --checkpoint");
    }
    if (stateTopic != null && topic == null) {
      throw UserException.usage("--state-topic needs --topic");
    }
    if (stateTopic != null && stateTopic.isBlank()) {
      throw UserException.usage("--state-topic must not be empty");
    }
    if (checkpoint != null && in.contains("-")) {
      throw UserException.usage("--checkpoint needs input that can be read again (files or --topic): stdin cannot be replayed after a restart");
    }
    if (checkpoint != null) {
      for (String spec : in) {
        java.nio.file.Path p = Paths.get(spec);
        if (java.nio.file.Files.exists(p) && !java.nio.file.Files.isRegularFile(p) && !java.nio.file.Files.isDirectory(p)) {
          throw UserException.usage("--checkpoint needs inputs that can be read again: " + spec
              + " is a pipe or a device, which cannot be replayed after a restart");
        }
      }
    }
    return new JobConfig.Recovery(checkpoint, d, exactlyOnce, stateTopic);
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
        throw UserException.usage("--late-horizon: expected window=duration, got '" + pair + "'");
      }
      EnumSet<Granularity> g = Granularity.parseList(kv[0]);
      horizons.put(g.iterator().next(), Durations.parse("--late-horizon", kv[1]).getSeconds());
    }
    return horizons;
  }
}
