package uniqcount.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a job's compacted state topic: committed records only ({@code read_committed}), from the
 * beginning of the given partitions. A {@code null} value is a tombstone (the key was deleted).
 * Not thread-safe: one thread reads a tail.
 */
public final class StateTopic implements AutoCloseable {
  /** One record: its partition, key and value (null: deleted). */
  public record Entry(int partition, String key, byte[] value) {}

  /** How long reading a state partition to its end may take before the run ends with an error. */
  private static final Duration READ_LIMIT = Duration.ofMinutes(5);
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final List<TopicPartition> parts = new ArrayList<>();
  private final Map<TopicPartition, Long> end;

  /** A reader of {@code partitions} of {@code topic}, at their beginning; notes their committed end now. */
  public StateTopic(KafkaSettings settings, String topic, Collection<Integer> partitions, String clientId) {
    Map<String, Object> config = settings.with(Map.of(
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.CLIENT_ID_CONFIG, clientId,
        // small fetches: a record larger than these still comes (alone), and the merging
        // member tails every state partition (64 MiB fetches held its heap at the limit)
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 1 << 20,
        ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 8 << 20));
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    this.consumer = settings.create("state topic reader", () -> new KafkaConsumer<>(config));
    try {
      for (int p : partitions) {
        parts.add(new TopicPartition(topic, p));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      this.end = new HashMap<>(consumer.endOffsets(parts));
    } catch (RuntimeException e) {
      consumer.close(Duration.ZERO);
      throw settings.error("cannot read the state topic '" + topic + "'", e);
    }
  }

  /** The latest value per key (deletions applied) in {@code partitions}, up to their committed end now. */
  public static Map<String, byte[]> read(KafkaSettings settings, String topic, Collection<Integer> partitions,
      String clientId) {
    try (StateTopic t = new StateTopic(settings, topic, partitions, clientId)) {
      Map<String, byte[]> latest = new LinkedHashMap<>();
      long deadline = System.nanoTime() + READ_LIMIT.toNanos();
      while (!t.caughtUp()) {
        if (System.nanoTime() > deadline) {
          throw settings.error("cannot read the state topic '" + topic + "' to its end",
              new org.apache.kafka.common.errors.TimeoutException("no progress for " + READ_LIMIT.toSeconds() + " s"));
        }
        for (Entry e : t.poll(Duration.ofMillis(200))) {
          if (e.value() == null) {
            latest.remove(e.key());
          } else {
            latest.put(e.key(), e.value());
          }
        }
      }
      return latest;
    }
  }

  /** Records since the last call, in partition order, waiting at most {@code wait} for the first. */
  public List<Entry> poll(Duration wait) {
    List<Entry> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(wait)) {
      String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
      out.add(new Entry(r.partition(), key, r.value()));
    }
    return out;
  }

  /**
   * Every record committed by now: notes the committed end of each partition and reads up to it,
   * for at most {@code max} (then what was read so far).
   */
  public List<Entry> pollToEnd(Duration max) {
    Map<TopicPartition, Long> now = consumer.endOffsets(parts);
    end.putAll(now);
    List<Entry> out = new ArrayList<>();
    long deadline = System.nanoTime() + max.toNanos();
    while (!caughtUp() && System.nanoTime() < deadline) {
      out.addAll(poll(Duration.ofMillis(50)));
    }
    return out;
  }

  /** Whether every partition was read up to the committed end noted when this reader was made. */
  public boolean caughtUp() {
    for (TopicPartition tp : parts) {
      if (consumer.position(tp) < end.get(tp)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Closes without waiting: a reader has no group to leave and nothing to commit, and waiting
   * would only wait out its fetch parked at the broker (up to {@code fetch.max.wait.ms}: every
   * run's end took half a second longer on the merging member).
   */
  @Override
  public void close() {
    consumer.close(Duration.ZERO);
  }
}
