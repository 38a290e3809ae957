package uniqcount.engine;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import uniqcount.count.CounterSpec;
import uniqcount.frame.BlockScanner;
import uniqcount.kafka.KafkaSettings;
import uniqcount.window.EventTimePolicy;
import uniqcount.window.Granularity;
import uniqcount.window.Rolling;

/**
 * What one {@code count} job does, validated and immutable: built by the command line (or the
 * demo, or a test) with {@link #builder()}, handed to a {@link Job}. Nothing downstream parses
 * strings.
 *
 * @param input files (or stdin) or a Kafka topic
 * @param output where results go
 * @param counting what is counted and how frames are read
 * @param timing event-time rules and how often results and stats come out
 * @param recovery checkpoints and exactly-once
 * @param kafka client settings and start-up timeout, or null when Kafka is not used
 */
public record JobConfig(Input input, Output output, Counting counting, Timing timing, Recovery recovery,
    KafkaClient kafka) {

  /** Where frames come from. */
  public sealed interface Input permits FileInput, TopicInput {}

  /**
   * Files, globs or {@code -} for stdin, read one after another as one history; each is a partition.
   *
   * @param specs as given ({@code -} for stdin); globs are resolved when the job starts
   * @param readThreads inputs read (and decompressed) side by side, each on its own thread, still
   *     applied in order; 0: decided from the inputs (see {@code FileIngest}); always 1 with a checkpoint
   */
  public record FileInput(List<String> specs, int readThreads) implements Input {
    public FileInput {
      specs = List.copyOf(specs);
      if (readThreads < 0) {
        throw new IllegalArgumentException("readThreads < 0");
      }
    }

    public FileInput(List<String> specs) {
      this(specs, 0);
    }
  }

  /**
   * A Kafka topic, all partitions, read by one consumer group.
   *
   * @param from where a partition without a committed offset starts
   * @param exitOnIdle once no record came for this long, flush every window and end; null: run until stopped
   */
  public record TopicInput(String topic, String group, StartPosition from, Duration exitOnIdle) implements Input {}

  /** {@code --from}: {@code earliest}, {@code latest}, or the first record at or after an instant. */
  public record StartPosition(Kind kind, java.time.Instant instant) {
    /** Where to start. */
    public enum Kind {
      EARLIEST,
      LATEST,
      INSTANT
    }

    /** The first record still held. */
    public static final StartPosition EARLIEST = new StartPosition(Kind.EARLIEST, null);

    /** Only records written from now on. */
    public static final StartPosition LATEST = new StartPosition(Kind.LATEST, null);

    /** The option value as the Kafka source takes it: {@code earliest}, {@code latest} or the instant. */
    public String text() {
      return kind == Kind.INSTANT ? instant.toString() : kind.name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * Where results go; at least one of them.
   *
   * @param stdout JSON lines on standard output
   * @param file JSON lines to this file, or null
   * @param topic records to this Kafka topic (key {@code window/start}), or null
   * @param sketches every {@code hll} record carries its window's DataSketches image ({@code --emit-sketch})
   */
  public record Output(boolean stdout, Path file, String topic, boolean sketches) {
    /** Without sketches. */
    public Output(boolean stdout, Path file, String topic) {
      this(stdout, file, topic, false);
    }
  }

  /**
   * What is counted, and how.
   *
   * @param windows the granularities counted
   * @param zone zone of the calendar boundaries
   * @param counter the counter every window uses
   * @param threads worker threads; 0: decided by the input when the job opens ({@link Ingest#workers})
   * @param uidField root field of the user id
   * @param tsField root field of the event time
   * @param maxFrameBytes longer frames are rejected
   * @param scanner the decoder's fast pass
   * @param trustInput stop reading a frame once both root fields are found
   */
  public record Counting(EnumSet<Granularity> windows, ZoneId zone, CounterSpec counter, int threads, String uidField,
      String tsField, int maxFrameBytes, BlockScanner.Choice scanner, boolean trustInput) {
    public Counting {
      windows = EnumSet.copyOf(windows);
    }

    @Override
    public EnumSet<Granularity> windows() {
      return EnumSet.copyOf(windows);
    }
  }

  /** Which results are published. */
  public enum Emit {
    /** Early, final and update records. */
    EARLY,
    /** Final and update records only (backfills). */
    FINAL
  }

  /**
   * @param policy lateness, horizons, plausibility and idleness
   * @param emit whether early records are published
   * @param earlyInterval least time between two early or update records of one window
   * @param statsInterval progress on stderr this often; zero for the final line only
   * @param rolling rolling windows published every minute; the policy then holds the windows they
   *     are made of long enough ({@link EventTimePolicy#withRetention})
   */
  public record Timing(EventTimePolicy policy, Emit emit, Duration earlyInterval, Duration statsInterval,
      Rolling rolling) {
    public Timing {
      Objects.requireNonNull(rolling, "rolling");
      policy = policy.withRetention(rolling.retention());
    }
  }

  /**
   * @param checkpointDir snapshots in this directory, or null
   * @param interval how often to snapshot
   * @param exactlyOnce Kafka: results go out in the transaction of the state and offsets they follow from
   * @param stateTopic Kafka: the compacted topic holding the job's state, or null for {@code <group>-state}
   */
  public record Recovery(Path checkpointDir, Duration interval, boolean exactlyOnce, String stateTopic) {
    /** No checkpoints (files); Kafka state committed every second to {@code <group>-state}. */
    public static final Recovery NONE = new Recovery(null, Duration.ofSeconds(1), false, null);
  }

  /** Kafka client settings ({@code --kafka-config}, {@code -X}) and how long the cluster may take to answer at start. */
  public record KafkaClient(KafkaSettings settings, Duration timeout) {}

  /** Validates what no single option can: the combinations. */
  public JobConfig {
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(output, "output");
    Objects.requireNonNull(counting, "counting");
    Objects.requireNonNull(timing, "timing");
    Objects.requireNonNull(recovery, "recovery");
    if ((input instanceof TopicInput || output.topic() != null || recovery.exactlyOnce()) && kafka == null) {
      throw new IllegalArgumentException("Kafka input or output needs Kafka client settings");
    }
    if (!output.stdout() && output.file() == null && output.topic() == null) {
      throw new IllegalArgumentException("no output");
    }
    timing.rolling().requireWindows(counting.windows());
  }

  /** This config with another stats interval (zero: the final line only). */
  public JobConfig withStatsInterval(Duration statsInterval) {
    return new JobConfig(input, output, counting,
        new Timing(timing.policy(), timing.emit(), timing.earlyInterval(), statsInterval, timing.rolling()), recovery,
        kafka);
  }

  /** The topic input, or null for files. */
  public TopicInput topicInput() {
    return input instanceof TopicInput ? (TopicInput) input : null;
  }

  /**
   * What gives checkpointed state its meaning, one {@code name=value} per line, named as on the
   * command line: a checkpoint is only resumed by a run with the same fingerprint. In it: the
   * windows, zone, counter, field names; the event-time rules (lateness, late horizons, max
   * future, jump frames); what the decoder accepts (frame size limit, trust); where results go;
   * and the input ({@code input}), which the ingest describes. Not in it, because they change
   * neither which frames count nor the values: threads, scanner, early interval and emit mode,
   * idle timeout, stats and checkpoint intervals, Kafka client settings.
   *
   * @param input the input as the ingest describes it (e.g. each file with its size and time)
   */
  String fingerprint(Map<String, String> input) {
    Map<String, String> f = new LinkedHashMap<>();
    StringBuilder windows = new StringBuilder();
    counting.windows().forEach(g -> windows.append(windows.length() == 0 ? "" : ",").append(g.label()));
    f.put("--windows", windows.toString());
    f.put("--zone", counting.zone().getId());
    f.put("--counter", counting.counter().kind().label());
    f.put("--precision", Integer.toString(counting.counter().precision()));
    if (counting.counter().sketchHash()) {
      f.put("hash", "datasketches"); // registers as DataSketches' HLL_8 (state from before this differs)
    }
    f.put("--uid-field", counting.uidField());
    f.put("--ts-field", counting.tsField());
    f.put("--max-frame-bytes", Integer.toString(counting.maxFrameBytes()));
    f.put("--trust-input", Boolean.toString(counting.trustInput()));
    EventTimePolicy p = timing.policy();
    f.put("--lateness", p.latenessSec() + "s");
    StringBuilder horizons = new StringBuilder();
    for (Granularity g : Granularity.values()) {
      horizons.append(horizons.length() == 0 ? "" : ",").append(g.label()).append('=').append(p.horizonSec(g)).append('s');
    }
    f.put("--late-horizon", horizons.toString());
    f.put("--max-future", p.maxFutureSec() + "s");
    f.put("--jump-frames", Integer.toString(p.jumpFrames()));
    if (!timing.rolling().isEmpty()) {
      f.put("--rolling", timing.rolling().text()); // the windows they need are held longer
    }
    f.put("--output", output.file() == null ? (output.stdout() ? "-" : "none") : output.file().toString());
    f.put("--output-topic", output.topic() == null ? "none" : output.topic());
    f.putAll(input);
    StringBuilder sb = new StringBuilder();
    f.forEach((k, v) -> sb.append(k).append('=').append(v.replace('\n', ' ')).append('\n'));
    return sb.toString();
  }

  /** A builder with the command line's defaults: stdin to stdout, all six windows, UTC, hll 14, one thread per core. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link JobConfig}; every setter has the command line's default. */
  public static final class Builder {
    private Input input = new FileInput(List.of("-"));
    private Output output = new Output(true, null, null);
    private EnumSet<Granularity> windows = EnumSet.allOf(Granularity.class);
    private ZoneId zone = ZoneId.of("UTC");
    private CounterSpec counter = CounterSpec.hll(CounterSpec.DEFAULT_PRECISION);
    private int threads;
    private String uidField = "uid";
    private String tsField = "ts";
    private int maxFrameBytes = 1 << 20;
    private BlockScanner.Choice scanner = BlockScanner.Choice.AUTO;
    private boolean trustInput;
    private EventTimePolicy policy = EventTimePolicy.defaults();
    private Emit emit = Emit.EARLY;
    private Duration earlyInterval = Duration.ofSeconds(1);
    private Duration statsInterval = Duration.ofSeconds(5);
    private Rolling rolling = Rolling.NONE;
    private Recovery recovery = Recovery.NONE;
    private KafkaClient kafka;

    private Builder() {}

    /** Files, globs or {@code -}. */
    public Builder files(List<String> specs) {
      this.input = new FileInput(specs);
      return this;
    }

    /** Files, globs or {@code -}, with this many read threads (0: decided from the inputs). */
    public Builder files(List<String> specs, int readThreads) {
      this.input = new FileInput(specs, readThreads);
      return this;
    }

    /** A Kafka topic. */
    public Builder topic(String topic, String group, StartPosition from, Duration exitOnIdle) {
      this.input = new TopicInput(topic, group, from, exitOnIdle);
      return this;
    }

    /** Where results go. */
    public Builder output(Output output) {
      this.output = output;
      return this;
    }

    /** The windows counted. */
    public Builder windows(EnumSet<Granularity> windows) {
      this.windows = windows;
      return this;
    }

    /** Zone of the calendar boundaries. */
    public Builder zone(ZoneId zone) {
      this.zone = zone;
      return this;
    }

    /** The counter. */
    public Builder counter(CounterSpec counter) {
      this.counter = counter;
      return this;
    }

    /** Worker threads (0, the default: decided by the input when the job opens). */
    public Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    /** Root field names. */
    public Builder fields(String uidField, String tsField) {
      this.uidField = uidField;
      this.tsField = tsField;
      return this;
    }

    /** Frame size limit. */
    public Builder maxFrameBytes(int maxFrameBytes) {
      this.maxFrameBytes = maxFrameBytes;
      return this;
    }

    /** The decoder's fast pass and trust. */
    public Builder decoder(BlockScanner.Choice scanner, boolean trustInput) {
      this.scanner = scanner;
      this.trustInput = trustInput;
      return this;
    }

    /** Event-time rules. */
    public Builder policy(EventTimePolicy policy) {
      this.policy = policy;
      return this;
    }

    /** Early records or not, and their least interval. */
    public Builder emit(Emit emit, Duration earlyInterval) {
      this.emit = emit;
      this.earlyInterval = earlyInterval;
      return this;
    }

    /** Rolling windows ({@code --rolling}). */
    public Builder rolling(Rolling rolling) {
      this.rolling = rolling;
      return this;
    }

    /** Progress stats interval (zero: the final line only). */
    public Builder statsInterval(Duration statsInterval) {
      this.statsInterval = statsInterval;
      return this;
    }

    /** Checkpoints. */
    public Builder recovery(Recovery recovery) {
      this.recovery = recovery;
      return this;
    }

    /** Kafka client settings. */
    public Builder kafka(KafkaSettings settings, Duration timeout) {
      this.kafka = new KafkaClient(settings, timeout);
      return this;
    }

    /** The config. */
    public JobConfig build() {
      return new JobConfig(input, output,
          new Counting(windows, zone, counter, threads, uidField, tsField, maxFrameBytes, scanner, trustInput),
          new Timing(policy, emit, earlyInterval, statsInterval, rolling), recovery, kafka);
    }
  }
}
