package uniqcount.source;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import uniqcount.kafka.KafkaSettings;

/**
 * Frames from a Kafka topic. One consumer per worker thread, all in one consumer group, so the
 * topic's partitions are spread over the workers by the group protocol (and over instances, when
 * several run with the same group): each record is decoded and counted by the thread that polled
 * it, with no hand-off. Offsets are committed after each polled batch is counted.
 *
 * <p>{@code --from earliest|latest} applies where the group has no committed offset; {@code
 * --from <instant>} seeks every partition, once, to the first record at or after the instant
 * ({@code offsetsForTimes}, by record timestamp).
 */
public final class KafkaFrameSource {
  private final KafkaSettings settings;
  private final String topic;
  private final String group;
  private final String from;
  private final List<KafkaConsumer<byte[], byte[]>> consumers = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final Set<TopicPartition> positioned = ConcurrentHashMap.newKeySet();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile long lastRecordNanos = System.nanoTime();
  private volatile boolean stopping;

  /**
   * @param from {@code earliest}, {@code latest} or an ISO-8601 instant
   */
  public KafkaFrameSource(KafkaSettings settings, String topic, String group, String from) {
    this.settings = settings;
    this.topic = topic;
    this.group = group;
    this.from = from;
  }

  /** Checks {@code --from}: earliest, latest or an ISO instant. */
  public static void validateFrom(String from) {
    if (!from.equals("earliest") && !from.equals("latest")) {
      try {
        Instant.parse(from);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("--from must be earliest, latest or an ISO-8601 instant such as 2016-07-11T13:00:00Z, got '" + from + "'");
      }
    }
  }

  /** Starts one consumer thread per handler. */
  public void start(List<FrameHandler> handlers) {
    for (int i = 0; i < handlers.size(); i++) {
      Map<String, Object> defaults = new HashMap<>();
      defaults.put(ConsumerConfig.GROUP_ID_CONFIG, group);
      defaults.put(ConsumerConfig.CLIENT_ID_CONFIG, group + "-" + i);
      defaults.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      defaults.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, from.equals("latest") ? "latest" : "earliest");
      defaults.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      defaults.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
      defaults.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 256 * 1024);
      defaults.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
      defaults.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
      defaults.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
      Map<String, Object> config = settings.with(defaults);
      config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config);
      consumers.add(consumer);
      FrameHandler handler = handlers.get(i);
      Thread t = new Thread(() -> poll(consumer, handler), "uniqcount-kafka-" + i);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
  }

  private void poll(KafkaConsumer<byte[], byte[]> consumer, FrameHandler handler) {
    Set<Integer> seen = new java.util.HashSet<>();
    try {
      consumer.subscribe(List.of(topic), new Positioner(consumer, handler));
      while (!stopping) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) {
          continue;
        }
        lastRecordNanos = System.nanoTime();
        for (TopicPartition tp : records.partitions()) {
          for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
            byte[] v = r.value();
            if (v == null) {
              v = new byte[0];
            }
            handler.onFrame(tp.partition(), v, 0, v.length);
          }
          handler.onBatchEnd(tp.partition());
          seen.add(tp.partition());
        }
        consumer.commitAsync();
      }
    } catch (WakeupException e) {
      // stopping
    } catch (Throwable e) {
      failure.compareAndSet(null, e);
    } finally {
      try {
        consumer.commitSync(Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        // best effort: the offsets of the last batch may be read again next time
      }
      for (int p : seen) {
        handler.onPartitionEnd(p);
      }
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** Seeks newly assigned partitions to {@code --from <instant>}, once each. */
  private final class Positioner implements ConsumerRebalanceListener {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final FrameHandler handler;

    Positioner(KafkaConsumer<byte[], byte[]> consumer, FrameHandler handler) {
      this.consumer = consumer;
      this.handler = handler;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      // offsets are committed after every batch
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      for (TopicPartition tp : partitions) {
        handler.onPartitionAssigned(tp.partition());
      }
      if (from.equals("earliest") || from.equals("latest")) {
        return;
      }
      long millis = Instant.parse(from).toEpochMilli();
      Map<TopicPartition, Long> query = new HashMap<>();
      for (TopicPartition tp : partitions) {
        if (positioned.add(tp)) {
          query.put(tp, millis);
        }
      }
      if (query.isEmpty()) {
        return;
      }
      Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(query);
      List<TopicPartition> toEnd = new ArrayList<>();
      for (TopicPartition tp : query.keySet()) {
        OffsetAndTimestamp o = offsets.get(tp);
        if (o == null) {
          toEnd.add(tp);
        } else {
          consumer.seek(tp, o.offset());
        }
      }
      if (!toEnd.isEmpty()) {
        consumer.seekToEnd(toEnd);
      }
    }
  }

  /** When the last record arrived (System.nanoTime), or the start. */
  public long lastRecordNanos() {
    return lastRecordNanos;
  }

  /** A consumer thread's failure, or null. */
  public Throwable failure() {
    return failure.get();
  }

  /** Stops polling, commits, closes; returns once every consumer is closed. */
  public void stop() throws InterruptedException {
    stopping = true;
    for (KafkaConsumer<byte[], byte[]> c : consumers) {
      c.wakeup();
    }
    for (Thread t : threads) {
      t.join();
    }
  }
}
