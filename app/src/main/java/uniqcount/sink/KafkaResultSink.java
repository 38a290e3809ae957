package uniqcount.sink;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import uniqcount.emit.ResultRecord;
import uniqcount.kafka.KafkaSettings;
import uniqcount.kafka.SendErrors;

/**
 * Results to a Kafka topic: key {@code window/start}, value the result JSON, so a compacted topic
 * keeps the latest value of every window. Idempotent producer (no duplicates from retries),
 * acks=all, zstd.
 */
public final class KafkaResultSink implements ResultSink {
  private final KafkaProducer<String, String> producer;
  private final String topic;
  private final SendErrors errors = new SendErrors();

  /** A producer for {@code topic}. */
  public KafkaResultSink(KafkaSettings settings, String topic) {
    Map<String, Object> defaults = new HashMap<>();
    defaults.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    defaults.put(ProducerConfig.ACKS_CONFIG, "all");
    defaults.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
    defaults.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    defaults.put(ProducerConfig.CLIENT_ID_CONFIG, "uniqcount-results");
    defaults.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
    Map<String, Object> config = settings.with(defaults);
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    this.producer = settings.create("results producer", () -> new KafkaProducer<>(config));
    this.topic = topic;
  }

  @Override
  public void write(ResultRecord record) throws IOException {
    check();
    producer.send(new ProducerRecord<>(topic, record.key(), record.toJson()), errors.callback());
  }

  @Override
  public void flush() throws IOException {
    producer.flush();
    check();
  }

  private void check() throws IOException {
    errors.check("topic '" + topic + "'");
  }

  @Override
  public void close() throws IOException {
    try {
      producer.flush();
      check();
    } finally {
      producer.close(Duration.ofSeconds(10));
    }
  }
}
