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
import java.util.function.LongSupplier;
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
  private final LongSupplier nanoClock;
  private volatile long lastRecordNanos;
  private volatile boolean stopping;
  private volatile boolean pauseRequested;
  private java.util.concurrent.CyclicBarrier barrier;
  private final Map<Integer, Long> positions = new ConcurrentHashMap<>();
  private Map<Integer, Long> startOffsets = Map.of();
  private boolean commitOffsets = true;
  private boolean checkpointed;

  /**
   * @param from {@code earliest}, {@code latest} or an ISO-8601 instant
   * @param nanoClock monotonic nanoseconds, for {@link #lastRecordNanos()} (the job's clock)
   */
  public KafkaFrameSource(KafkaSettings settings, String topic, String group, String from, LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
    this.lastRecordNanos = nanoClock.getAsLong();
    this.settings = settings;
    this.topic = topic;
    this.group = group;
    this.from = from;
  }

  /**
   * Checkpointed reading: each listed partition starts at its offset, the others at {@code --from},
   * whatever the group committed (the checkpoint is the truth; offsets are committed to the group
   * at checkpoints, for monitoring only).
   */
  public void startFrom(Map<Integer, Long> offsets) {
    this.startOffsets = Map.copyOf(offsets);
    this.positions.putAll(offsets);
    this.checkpointed = true;
  }

  /** Leave offsets to a transaction ({@code --exactly-once}): the consumers commit nothing. */
  public void noOffsetCommits() {
    this.commitOffsets = false;
  }

  /**
   * Starts one consumer thread per handler. Checkpointed reading assigns the topic's {@code
   * partitionCount} partitions to the workers itself (partition p to worker p mod N) instead of
   * joining the group protocol: the state in a checkpoint belongs to a fixed set of partitions,
   * and a restart must not wait for the group to notice that the killed members are gone.
   */
  public void start(List<FrameHandler> handlers, int partitionCount) {
    this.partitionCount = partitionCount;
    start(handlers);
  }

  private int partitionCount;

  /** Starts one consumer thread per handler (group subscription). */
  public void start(List<FrameHandler> handlers) {
    barrier = new java.util.concurrent.CyclicBarrier(handlers.size() + 1);
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
      defaults.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 16 * 1024 * 1024);
      // a deleted input topic must not come back empty, made by our own metadata requests
      defaults.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
      Map<String, Object> config = settings.with(defaults);
      config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      KafkaConsumer<byte[], byte[]> consumer = settings.create("consumer", () -> new KafkaConsumer<>(config));
      consumers.add(consumer);
      FrameHandler handler = handlers.get(i);
      List<TopicPartition> mine = new ArrayList<>();
      for (int p = i; checkpointed && p < partitionCount; p += handlers.size()) {
        mine.add(new TopicPartition(topic, p));
      }
      Thread t = new Thread(() -> poll(consumer, handler, mine), "uniqcount-kafka-" + i);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
  }

  private void poll(KafkaConsumer<byte[], byte[]> consumer, FrameHandler handler, List<TopicPartition> mine) {
    Set<Integer> seen = new java.util.HashSet<>();
    try {
      Positioner positioner = new Positioner(consumer, handler);
      if (checkpointed) {
        if (mine.isEmpty()) {
          idleWorker(); // more workers than partitions: nothing to read, but take part in checkpoints
          return;
        }
        consumer.assign(mine);
        positioner.onPartitionsAssigned(mine);
      } else {
        consumer.subscribe(List.of(topic), positioner);
      }
      while (!stopping) {
        if (pauseRequested) {
          holdAtBarrier(consumer);
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) {
          continue;
        }
        lastRecordNanos = nanoClock.getAsLong();
        for (TopicPartition tp : records.partitions()) {
          long next = -1;
          for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
            byte[] v = r.value();
            if (v == null) {
              v = new byte[0];
            }
            handler.onFrame(tp.partition(), v, 0, v.length);
            next = r.offset() + 1;
          }
          handler.onBatchEnd(tp.partition());
          positions.put(tp.partition(), next); // everything before it is counted
          seen.add(tp.partition());
        }
        if (commitOffsets && !checkpointed) {
          consumer.commitAsync();
        }
      }
    } catch (WakeupException e) {
      // stopping
    } catch (org.apache.kafka.common.KafkaException e) {
      failure.compareAndSet(null, settings.error("the Kafka consumer of topic '" + topic + "' failed", e));
    } catch (Throwable e) {
      failure.compareAndSet(null, e);
    } finally {
      try {
        if (commitOffsets && !checkpointed) {
          consumer.commitSync(Duration.ofSeconds(5));
        }
      } catch (RuntimeException e) {
        // best effort: the offsets of the last batch may be read again next time
      }
      for (int p : seen) {
        handler.onPartitionEnd(p);
      }
      consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  private void idleWorker() throws InterruptedException {
    while (!stopping) {
      if (pauseRequested) {
        holdAtBarrier(null);
      }
      Thread.sleep(50);
    }
  }

  /** Everything polled is counted (positions are kept per batch); wait for the checkpoint. */
  private void holdAtBarrier(KafkaConsumer<byte[], byte[]> consumer) throws InterruptedException {
    if (commitOffsets && consumer != null) {
      // for monitoring only: the checkpoint's offsets are the truth
      Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets = new HashMap<>();
      for (TopicPartition tp : consumer.assignment()) {
        Long next = positions.get(tp.partition());
        if (next != null && next >= 0) {
          offsets.put(tp, new org.apache.kafka.clients.consumer.OffsetAndMetadata(next));
        }
      }
      consumer.commitAsync(offsets, null);
    }
    try {
      barrier.await(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.BrokenBarrierException | java.util.concurrent.TimeoutException e) {
      return; // the coordinator gave up on this checkpoint; carry on
    }
    try {
      // No time limit here: the snapshot is being taken and nothing may move until it is done;
      // the coordinator always releases us (resume() in a finally).
      barrier.await();
    } catch (java.util.concurrent.BrokenBarrierException e) {
      // released by a reset
    }
  }

  /**
   * Stops every consumer at a batch boundary and returns the next offset per partition, with all
   * records before them counted; null if the consumers could not all be stopped (the checkpoint
   * is skipped). Call {@link #resume()} after.
   */
  public Map<Integer, Long> pause() throws InterruptedException {
    pauseRequested = true;
    try {
      barrier.await(10, java.util.concurrent.TimeUnit.SECONDS);
      return new HashMap<>(positions);
    } catch (java.util.concurrent.BrokenBarrierException | java.util.concurrent.TimeoutException e) {
      pauseRequested = false;
      barrier.reset();
      return null;
    }
  }

  /** Lets the consumers go on after {@link #pause()}. */
  public void resume() throws InterruptedException {
    pauseRequested = false;
    try {
      barrier.await(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.BrokenBarrierException | java.util.concurrent.TimeoutException e) {
      barrier.reset();
    }
  }

  /** Next offset per partition when the consumers stopped (valid after {@link #stop()}). */
  public Map<Integer, Long> finalPositions() {
    return new HashMap<>(positions);
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
      // offsets are committed after every batch (or at checkpoints)
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      lastRecordNanos = nanoClock.getAsLong(); // idle time counts from when there is something to read
      List<TopicPartition> fresh = new ArrayList<>();
      for (TopicPartition tp : partitions) {
        handler.onPartitionAssigned(tp.partition());
        Long offset = startOffsets.get(tp.partition());
        if (offset != null && offset >= 0 && positioned.add(tp)) {
          consumer.seek(tp, offset);
        } else if (checkpointed && positioned.add(tp)) {
          fresh.add(tp); // not in the checkpoint: --from, never the group's offsets
        }
      }
      // (an empty collection would mean "all assigned partitions" to seekToBeginning/seekToEnd)
      if (checkpointed && from.equals("earliest")) {
        if (!fresh.isEmpty()) {
          consumer.seekToBeginning(fresh);
        }
        return;
      }
      if (checkpointed && from.equals("latest")) {
        if (!fresh.isEmpty()) {
          consumer.seekToEnd(fresh);
        }
        return;
      }
      if (from.equals("earliest") || from.equals("latest")) {
        return;
      }
      long millis = Instant.parse(from).toEpochMilli();
      Map<TopicPartition, Long> query = new HashMap<>();
      for (TopicPartition tp : checkpointed ? fresh : partitions) {
        if (checkpointed || positioned.add(tp)) {
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

  /** When the last record arrived, or a partition was assigned, or the start (the clock's nanoseconds). */
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
