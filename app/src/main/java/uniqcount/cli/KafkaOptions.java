package uniqcount.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import uniqcount.kafka.KafkaSettings;

/** The Kafka client options shared by {@code count} and {@code generate} (a picocli mixin). */
final class KafkaOptions {
  @Option(names = "--bootstrap-servers", paramLabel = "HOSTS", description = "Kafka cluster, host:port[,host:port...].")
  String bootstrapServers;

  @Option(names = "--kafka-config", paramLabel = "FILE", description = "Kafka client properties (SASL, TLS, ...), for consumer, producer and admin.")
  Path kafkaConfig;

  @Option(names = "-X", paramLabel = "KEY=VALUE", description = "One Kafka client property; repeatable; wins over --kafka-config.")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--kafka-timeout", paramLabel = "DURATION", defaultValue = "15s", description = "How long to wait for the cluster to answer at start (default: ${DEFAULT-VALUE}).")
  String timeout;

  /** Whether any Kafka client option was given. */
  boolean given() {
    return bootstrapServers != null || kafkaConfig != null || !overrides.isEmpty();
  }

  /** The merged client settings; throws naming the bad option. */
  KafkaSettings settings() {
    return KafkaSettings.of(bootstrapServers, kafkaConfig, overrides);
  }

  Duration timeout() {
    return Durations.parse("--kafka-timeout", timeout);
  }
}
