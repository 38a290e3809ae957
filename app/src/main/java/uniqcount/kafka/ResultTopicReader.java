package uniqcount.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import uniqcount.UserException;

/**
 * Reads every record of a topic of results, from the start of every partition, and then follows
 * it for ever: a plain consumer without a group (it commits nothing and takes no partitions from
 * anyone), {@code read_committed} (results of an {@code --exactly-once} job appear once their
 * transaction commits). Partitions added to the topic later are picked up within {@value
 * #PARTITION_CHECK_MILLIS} ms.
 */
public final class ResultTopicReader implements AutoCloseable {
  /** How often to look for partitions added to the topic. */
  static final long PARTITION_CHECK_MILLIS = 30_000;

  /** Receives each record read. */
  public interface Listener {
    /** One record: its key and value as UTF-8 text (either may be null). */
    void onRecord(String key, String value);
  }

  private final KafkaSettings settings;
  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final int partitions;
  private volatile boolean stopped;

  /**
   * Checks that the topic exists, then makes the consumer (nothing is read yet).
   *
   * @throws UserException if the cluster does not answer within {@code timeout} or the topic does not exist
   */
  public ResultTopicReader(KafkaSettings settings, String topic, Duration timeout) {
    this.settings = settings;
    this.topic = topic;
    try (KafkaAdmin admin = new KafkaAdmin(settings, timeout)) {
      admin.checkReachable();
      this.partitions = admin.partitions(topic);
    }
    Map<String, Object> config = settings.with(Map.of(
        ConsumerConfig.CLIENT_ID_CONFIG, "uniqcount-serve",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()));
    // a reader, not a member, whatever a shared --kafka-config says: it must not move anyone's offsets
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    this.consumer = settings.create("consumer", () -> new KafkaConsumer<>(config));
  }

  /** Partitions of the topic when it was checked. */
  public int partitions() {
    return partitions;
  }

  /**
   * Reads until {@link #close()}, handing every record to {@code listener} on this thread.
   *
   * @throws UserException if the client fails for good (authorization, the topic deleted, ...)
   */
  public void run(Listener listener) {
    try {
      List<TopicPartition> assigned = new ArrayList<>();
      long checkedAt = 0;
      while (!stopped) {
        if (System.nanoTime() - checkedAt > PARTITION_CHECK_MILLIS * 1_000_000L || assigned.isEmpty()) {
          assignNew(assigned);
          checkedAt = System.nanoTime();
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          listener.onRecord(text(r.key()), text(r.value()));
        }
      }
    } catch (WakeupException e) {
      // close() was called
    } catch (KafkaException e) {
      if (!stopped) {
        throw settings.error("cannot read topic '" + topic + "'", e);
      }
    } finally {
      consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(2)));
    }
  }

  private void assignNew(List<TopicPartition> assigned) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
    if (infos == null || infos.size() == assigned.size()) {
      return;
    }
    List<TopicPartition> added = new ArrayList<>();
    for (PartitionInfo p : infos) {
      TopicPartition tp = new TopicPartition(topic, p.partition());
      if (!assigned.contains(tp)) {
        added.add(tp);
      }
    }
    assigned.addAll(added);
    consumer.assign(assigned);
    consumer.seekToBeginning(added);
  }

  private static String text(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  /** Stops {@link #run} (from any thread). */
  @Override
  public void close() {
    stopped = true;
    consumer.wakeup();
  }
}
