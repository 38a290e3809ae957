package uniqcount.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads the latest committed snapshot of a group from the compacted checkpoint topic. */
public final class KafkaCheckpoints {
  private KafkaCheckpoints() {}

  /** The newest committed value for key {@code group}, or null. */
  public static byte[] latest(KafkaSettings settings, String checkpointTopic, String group) {
    Map<String, Object> config = settings.with(Map.of(
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.CLIENT_ID_CONFIG, "uniqcount-checkpoint-reader"));
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    byte[] key = group.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] latest = null;
    try (KafkaConsumer<byte[], byte[]> c = settings.create("checkpoint reader", () -> new KafkaConsumer<>(config))) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo p : c.partitionsFor(checkpointTopic)) {
        parts.add(new TopicPartition(checkpointTopic, p.partition()));
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          if (java.util.Arrays.equals(key, r.key())) {
            latest = r.value();
          }
        }
      }
    }
    return latest;
  }
}
