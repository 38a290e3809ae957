package uniqcount.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The baseline of {@code uniqcount bench --kafka}: a plain consumer that reads a topic to its end
 * and touches every value, with the settings uniqcount's own consumers use (one group member,
 * byte arrays, the same fetch sizes). Run in a child JVM: {@code BareConsumer BOOTSTRAP TOPIC
 * RECORDS}; prints {@code records=N bytes=B}.
 */
public final class BareConsumer {
  private BareConsumer() {}

  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    String bootstrap = args[0];
    String topic = args[1];
    long expected = Long.parseLong(args[2]);
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "bare-" + System.nanoTime());
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    config.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 256 * 1024);
    config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
    config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
    config.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 16 * 1024 * 1024);
    long records = 0;
    long bytes = 0;
    long checksum = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      while (records < expected) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          byte[] v = r.value();
          records++;
          bytes += v.length;
          checksum += v.length == 0 ? 0 : v[0];
        }
      }
    }
    System.out.println("records=" + records + " bytes=" + bytes + " checksum=" + checksum);
  }
}
