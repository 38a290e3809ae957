package uniqcount.sink;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import uniqcount.emit.ResultRecord;
import uniqcount.kafka.KafkaSettings;
import uniqcount.kafka.SendErrors;

/**
 * {@code --exactly-once}: results go out inside a Kafka transaction; at every checkpoint the
 * snapshot (to the compacted checkpoint topic, key = the group) and the input offsets (to the
 * consumer group) join the same transaction, which is then committed. A {@code read_committed}
 * reader sees every result once: records written after the last commit by a process that died
 * are aborted when the next one starts (same transactional id, so it fences the old one).
 */
public final class TransactionalResultSink implements ResultSink {
  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;
  private final String checkpointTopic;
  private final String inputTopic;
  private final String group;
  private final SendErrors errors = new SendErrors();

  /** A transactional producer with id {@code uniqcount-<group>}; aborts what a previous incarnation left open. */
  public TransactionalResultSink(KafkaSettings settings, String topic, String checkpointTopic, String inputTopic,
      String group) {
    Map<String, Object> defaults = new HashMap<>();
    defaults.put(ProducerConfig.ACKS_CONFIG, "all");
    defaults.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
    defaults.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    defaults.put(ProducerConfig.CLIENT_ID_CONFIG, "uniqcount-results");
    defaults.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 64 << 20);
    defaults.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L << 20);
    Map<String, Object> config = settings.with(defaults);
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "uniqcount-" + group);
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    this.producer = settings.create("transactional producer", () -> new KafkaProducer<>(config));
    this.topic = topic;
    this.checkpointTopic = checkpointTopic;
    this.inputTopic = inputTopic;
    this.group = group;
    try {
      producer.initTransactions();
      producer.beginTransaction();
    } catch (org.apache.kafka.common.KafkaException e) {
      producer.close(Duration.ZERO);
      throw settings.error("cannot start the results transaction on topic '" + topic + "'", e);
    }
  }

  @Override
  public void write(ResultRecord record) throws IOException {
    check();
    producer.send(new ProducerRecord<>(topic, bytes(record.key()), bytes(record.toJson())), errors.callback());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Sends buffered records (they stay invisible to read_committed readers until {@link #commit}). */
  @Override
  public void flush() throws IOException {
    producer.flush();
    check();
  }

  /** Commits the results so far together with a snapshot and the next input offset per partition. */
  public void commit(byte[] snapshot, Map<Integer, Long> offsets) throws IOException {
    check();
    producer.send(new ProducerRecord<>(checkpointTopic, bytes(group), snapshot));
    Map<TopicPartition, OffsetAndMetadata> o = new HashMap<>();
    offsets.forEach((p, next) -> {
      if (next >= 0) {
        o.put(new TopicPartition(inputTopic, p), new OffsetAndMetadata(next));
      }
    });
    try {
      producer.sendOffsetsToTransaction(o, new ConsumerGroupMetadata(group));
      producer.commitTransaction();
      producer.beginTransaction();
    } catch (RuntimeException e) {
      throw new IOException("cannot commit the results transaction: " + e.getMessage(), e);
    }
    check();
  }

  private void check() throws IOException {
    errors.check("topic '" + topic + "'");
  }

  /** Closes; anything not committed is aborted. */
  @Override
  public void close() throws IOException {
    try {
      producer.abortTransaction();
    } catch (RuntimeException e) {
      // nothing open, or fenced
    } finally {
      producer.close(Duration.ofSeconds(10));
    }
  }
}
