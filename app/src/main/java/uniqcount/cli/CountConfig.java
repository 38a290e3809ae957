package uniqcount.cli;

import java.time.Duration;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.List;
import uniqcount.count.CounterSpec;
import uniqcount.kafka.KafkaSettings;
import uniqcount.window.EventTimePolicy;
import uniqcount.window.Granularity;

/** The validated, immutable options of one {@code count} run. */
final class CountConfig {
  final List<String> inputs;
  final String output;
  final EnumSet<Granularity> granularities;
  final ZoneId zone;
  final CounterSpec counterSpec;
  final int threads;
  final String uidField;
  final String tsField;
  final int maxFrameBytes;
  final Duration statsInterval;
  final EventTimePolicy policy;
  final boolean earlyResults;
  final Duration earlyInterval;
  /** Null unless the input is a Kafka topic. */
  final KafkaInput kafka;
  /** Null unless results go to a topic. */
  final String outputTopic;
  /** Null unless --checkpoint. */
  final java.nio.file.Path checkpointDir;
  final Duration checkpointInterval;
  /** --exactly-once: results, snapshot and offsets in one Kafka transaction. */
  final boolean exactlyOnce;
  final String checkpointTopic;
  /** The fast pass's block scanner; null for the exact pass alone. */
  final uniqcount.frame.BlockScanner scanner;
  /** --trust-input: stop reading a frame once both root fields are found. */
  final boolean trustInput;

  /**
   * The options that give checkpointed state its meaning, and the input: a checkpoint is only
   * resumed by a run with the same fingerprint.
   */
  String fingerprint(List<String> resolvedInputs) {
    StringBuilder sb = new StringBuilder();
    sb.append("windows=");
    granularities.forEach(g -> sb.append(g.label()).append(','));
    sb.append(";zone=").append(zone.getId())
        .append(";counter=").append(counterSpec.kind().label())
        .append(";precision=").append(counterSpec.precision())
        .append(";uid-field=").append(uidField)
        .append(";ts-field=").append(tsField)
        .append(";input=");
    if (kafka != null) {
      sb.append("kafka:").append(kafka.topic);
    } else {
      sb.append("files:").append(String.join("|", resolvedInputs));
    }
    return sb.toString();
  }

  /** Client settings when Kafka is used for input or output, else null. */
  final KafkaSettings kafkaSettings;
  /** Admin and start-up timeout for Kafka. */
  final Duration kafkaTimeout;

  /** Where and how to read a topic. */
  static final class KafkaInput {
    final String topic;
    final String group;
    final String from;
    final Duration exitOnIdle;

    KafkaInput(String topic, String group, String from, Duration exitOnIdle) {
      this.topic = topic;
      this.group = group;
      this.from = from;
      this.exitOnIdle = exitOnIdle;
    }
  }

  CountConfig(
      List<String> inputs, String output, EnumSet<Granularity> granularities, ZoneId zone, CounterSpec counterSpec,
      int threads, String uidField, String tsField, int maxFrameBytes, Duration statsInterval,
      EventTimePolicy policy, boolean earlyResults, Duration earlyInterval, KafkaSettings kafkaSettings, Duration kafkaTimeout, KafkaInput kafka, String outputTopic,
      java.nio.file.Path checkpointDir, Duration checkpointInterval, boolean exactlyOnce, String checkpointTopic,
      uniqcount.frame.BlockScanner scanner, boolean trustInput) {
    this.scanner = scanner;
    this.trustInput = trustInput;
    this.exactlyOnce = exactlyOnce;
    this.checkpointTopic = checkpointTopic;
    this.checkpointDir = checkpointDir;
    this.checkpointInterval = checkpointInterval;
    this.kafkaSettings = kafkaSettings;
    this.kafkaTimeout = kafkaTimeout;
    this.kafka = kafka;
    this.outputTopic = outputTopic;
    this.policy = policy;
    this.earlyResults = earlyResults;
    this.earlyInterval = earlyInterval;
    this.inputs = inputs;
    this.output = output;
    this.granularities = EnumSet.copyOf(granularities);
    this.zone = zone;
    this.counterSpec = counterSpec;
    this.threads = threads;
    this.uidField = uidField;
    this.tsField = tsField;
    this.maxFrameBytes = maxFrameBytes;
    this.statsInterval = statsInterval;
  }
}
