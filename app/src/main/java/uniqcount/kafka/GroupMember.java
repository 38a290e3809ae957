package uniqcount.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One member of a job's consumer group, with its own transactional producer (KIP-447): the
 * partitions the group gives it are read, handed to a {@link Handler} record by record, and
 * committed with the state the handler writes for them — state records and consumer offsets in
 * one transaction, the offsets sent with {@code sendOffsetsToTransaction(offsets,
 * consumer.groupMetadata())}. A member that lost its partitions while paused (a zombie) is fenced
 * by the group generation: its commit fails, nothing it wrote since its last commit becomes
 * visible, and it starts over from the committed state of what it still owns.
 *
 * <p>Everything runs on the thread that calls {@link #run()}: polling, the handler's callbacks
 * (also those of a rebalance, inside {@code poll}) and commits. Knows nothing of frames or
 * windows: state and results are bytes under a key.
 */
public final class GroupMember {
  /** What the member's partitions are for; every call comes from the member's thread. */
  public interface Handler {
    /**
     * The partitions are this member's now: restore their committed state and return the offset
     * to read each from, or -1 to start at the job's start position.
     */
    Map<Integer, Long> assigned(Collection<Integer> partitions);

    /** One record's value (empty for a null value). */
    void frame(int partition, byte[] value, int length);

    /** The records of one partition in one poll have all been given. */
    void batchEnd(int partition);

    /** Between polls, a few times a second: the handler may write state and {@link #commit(boolean)}. */
    void tick();

    /** The partitions leave cleanly: write their state and {@link #commit(boolean)}, then forget them. */
    void revoked(Collection<Integer> partitions);

    /** The partitions are gone without a commit (fenced, or lost): forget them and what was not committed. */
    void lost(Collection<Integer> partitions);
  }

  /** A commit was refused because the group moved on: this member is a zombie for what it held. */
  public static final class FencedException extends RuntimeException {
    FencedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final KafkaSettings settings;
  private final String topic;
  private final String stateTopic;
  private final String from;
  private final LongSupplier nanoClock;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Set<Integer> owned = new TreeSet<>();
  private final Map<Integer, String> metadata = new HashMap<>();
  private Handler handler;
  private volatile boolean stopping;
  private volatile long lastRecordNanos;
  private volatile boolean joined;
  private boolean closing;
  private boolean dirty;
  private volatile long commits;
  private volatile long fenced;
  private volatile long lastCommitNanos = -1;
  private volatile long lastCommitDurationNanos;
  /** Per owned partition, sampled on this member's thread. */
  private volatile Map<Integer, Position> positions = Map.of();
  private long lastSampleNanos;
  /** Set by the rebalance listener: sample at the next poll. */
  private boolean assignmentChanged = true;
  /** How often positions and lags are sampled (polls come much more often while records flow). */
  private static final long SAMPLE_NANOS = 100_000_000L;

  /**
   * Creates the consumer and the transactional producer (which aborts what a previous member
   * with the same transactional id left open).
   *
   * @param transactionalId unique to this member and stable across its restarts when possible
   * @param from {@code earliest}, {@code latest} or an ISO-8601 instant: where a partition with no state starts
   * @param timeout how long a producer call may wait for the cluster ({@code max.block.ms} unless set)
   * @param staticId this member's {@code group.instance.id} (static membership), or null
   */
  public GroupMember(KafkaSettings settings, String topic, String group, String clientId, String transactionalId,
      String stateTopic, String from, LongSupplier nanoClock, Duration timeout, String staticId) {
    this.settings = settings;
    this.topic = topic;
    this.stateTopic = stateTopic;
    this.from = from;
    this.nanoClock = nanoClock;
    this.lastRecordNanos = nanoClock.getAsLong();
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, from.equals("latest") ? "latest" : "earliest");
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    c.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 256 * 1024);
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
    c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
    c.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 16 * 1024 * 1024);
    c.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    // a deleted input topic must not come back empty, made by our own metadata requests
    c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    Map<String, Object> consumerConfig = settings.with(c);
    consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    if (staticId != null) {
      consumerConfig.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, staticId);
    }
    consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumerConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId + "-state");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 64 << 20);
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L << 20);
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, DEFAULT_TRANSACTION_TIMEOUT_MS);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout.toMillis());
    Map<String, Object> producerConfig = settings.with(p);
    producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    producerConfig.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    this.consumer = settings.create("consumer", () -> new KafkaConsumer<>(consumerConfig));
    try {
      this.producer = settings.create("transactional producer", () -> new KafkaProducer<>(producerConfig));
    } catch (RuntimeException e) {
      consumer.close(Duration.ZERO);
      throw e;
    }
    try {
      producer.initTransactions();
      producer.beginTransaction();
    } catch (KafkaException e) {
      close();
      throw settings.error("cannot start a transaction for the state of group '" + group + "'", e);
    }
  }

  /**
   * How long a transaction may stay open unless {@code -X transaction.timeout.ms} says otherwise:
   * short, because the open transaction of a member that was killed holds back every
   * read_committed reader of the state and results topics until the broker aborts it.
   */
  public static final int DEFAULT_TRANSACTION_TIMEOUT_MS = 10_000;

  /**
   * Joins the group and reads until {@link #stop()}; then leaves cleanly (the handler commits what
   * it owns) and closes. Throws what failed (Kafka errors with one clear message).
   */
  public void run(Handler handler) {
    this.handler = handler;
    try {
      consumer.subscribe(List.of(topic), new Listener());
      while (!stopping) {
        ConsumerRecords<byte[], byte[]> records;
        try {
          records = consumer.poll(Duration.ofMillis(100));
        } catch (WakeupException e) {
          break;
        }
        if (!records.isEmpty()) {
          lastRecordNanos = nanoClock.getAsLong();
          dirty = true;
        }
        for (TopicPartition tp : records.partitions()) {
          for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
            byte[] v = r.value();
            handler.frame(tp.partition(), v == null ? EMPTY : v, v == null ? 0 : v.length);
          }
          handler.batchEnd(tp.partition());
        }
        samplePositions();
        guarded(handler::tick);
      }
      // leave: the listener commits what this member owns before the partitions go
      guarded(() -> consumer.unsubscribe());
    } catch (FencedException | WakeupException e) {
      // leaving anyway
    } catch (AuthenticationException | AuthorizationException e) {
      throw settings.error("the Kafka consumer of topic '" + topic + "' was refused", e);
    } catch (KafkaException e) {
      throw settings.error("the Kafka consumer of topic '" + topic + "' failed", e);
    } finally {
      close();
    }
  }

  private static final byte[] EMPTY = new byte[0];

  /** Runs {@code step}; a fenced commit drops what this member held and restores what it still owns. */
  private void guarded(Runnable step) {
    try {
      step.run();
    } catch (FencedException e) {
      startOver(stopping ? null : List.of());
    }
  }

  /** Sends a state record in this member's open transaction. */
  public void sendState(int partition, String key, byte[] value) {
    producer.send(new ProducerRecord<>(stateTopic, partition, key.getBytes(StandardCharsets.UTF_8), value));
    dirty = true;
  }

  /** Sends a result record in this member's open transaction ({@code --exactly-once}). */
  public void sendResult(String resultsTopic, String key, byte[] value) {
    producer.send(new ProducerRecord<>(resultsTopic, key.getBytes(StandardCharsets.UTF_8), value));
    dirty = true;
  }

  /**
   * Commits the open transaction with the next offset of every partition this member owns, then
   * opens the next one. Nothing is done when nothing was read or sent since the last commit,
   * unless {@code force}: a commit of the offsets alone proves this member still belongs to the
   * group's current generation.
   *
   * @throws FencedException if the group moved on (this member is a zombie): the transaction is
   *     aborted, and the caller forgets what it held
   */
  public void commit(boolean force) {
    if (!dirty && !(force && !owned.isEmpty())) {
      lastCommitNanos = nanoClock.getAsLong(); // nothing new: what is committed is current
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (int p : owned) {
      TopicPartition tp = new TopicPartition(topic, p);
      offsets.put(tp, new OffsetAndMetadata(consumer.position(tp), metadata.getOrDefault(p, OWN_METADATA)));
    }
    long started = nanoClock.getAsLong();
    try {
      if (!offsets.isEmpty()) {
        retryingTimeouts(() -> producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata()),
            "the offsets could not be added to the state transaction");
      }
      retryingTimeouts(producer::commitTransaction, "the state transaction could not be committed");
      commits++;
      lastCommitNanos = nanoClock.getAsLong();
      lastCommitDurationNanos = lastCommitNanos - started;
    } catch (org.apache.kafka.common.errors.ProducerFencedException
        | org.apache.kafka.common.errors.InvalidProducerEpochException
        | org.apache.kafka.clients.consumer.CommitFailedException
        | org.apache.kafka.common.errors.FencedInstanceIdException
        | org.apache.kafka.common.errors.UnknownMemberIdException
        | org.apache.kafka.common.errors.IllegalGenerationException
        | org.apache.kafka.common.errors.RebalanceInProgressException e) {
      fenced++;
      reopen();
      throw new FencedException("the commit of group member " + consumer.groupMetadata().memberId()
          + " was refused: " + e.getMessage(), e);
    }
    dirty = false;
    try {
      producer.beginTransaction();
    } catch (KafkaException e) {
      throw settings.error("cannot open the next transaction", e);
    }
  }

  /**
   * Runs a transactional call; one that timed out (a slow or restarting broker) may have happened
   * or not and must be retried, not aborted: up to three more tries, then the run ends with the error.
   */
  private void retryingTimeouts(Runnable call, String what) {
    for (int attempt = 0; ; attempt++) {
      try {
        call.run();
        return;
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        if (attempt >= 3 || stopping) {
          throw settings.error(what, e);
        }
      }
    }
  }

  /** Aborts the open transaction (if the producer still can) and opens a new one. */
  private void reopen() {
    try {
      producer.abortTransaction();
    } catch (KafkaException e) {
      // the producer was fenced for good: nothing it sent will be visible; a new epoch is needed
      throw settings.error("the state producer was fenced for good", e);
    }
    dirty = false;
    producer.beginTransaction();
  }

  /** Metadata to commit with a partition's offset from now on (it travels with the transaction). */
  public void setCommitMetadata(int partition, String value) {
    if (value == null) {
      metadata.remove(partition);
    } else {
      metadata.put(partition, value);
    }
  }

  /**
   * The metadata committed with a partition's offset, or null. Waits until no transaction that
   * commits an offset of it is pending (a stable read), so what it names is visible to a
   * read_committed reader of what that transaction wrote.
   */
  public String committedMetadata(int partition) {
    TopicPartition tp = new TopicPartition(topic, partition);
    try {
      OffsetAndMetadata o = consumer.committed(Set.of(tp)).get(tp);
      return o == null ? null : o.metadata();
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      return null; // the state topic is read to its end all the same
    }
  }

  /** Offset metadata of every commit of ours (partition 0's names its merge record, and starts the same). */
  public static final String OWN_METADATA = "uniqcount";

  /**
   * The offsets these partitions' state was committed with (absent: none, or committed by
   * something else, e.g. a uniqcount before state was kept in Kafka), read stably: the call waits until no
   * transaction that commits an offset of them is pending, so a transaction a dead member had
   * already asked to commit is counted in — and its state records are the ones to restore.
   */
  public Map<Integer, Long> committedOffsets(Collection<Integer> partitions) {
    Set<TopicPartition> tps = new java.util.HashSet<>();
    for (int p : partitions) {
      tps.add(new TopicPartition(topic, p));
    }
    Map<Integer, Long> out = new HashMap<>();
    consumer.committed(tps).forEach((tp, o) -> {
      if (o != null && o.metadata() != null && o.metadata().startsWith(OWN_METADATA)) {
        out.put(tp.partition(), o.offset());
      }
    });
    return out;
  }

  /** The next offset of an owned partition (every record before it was given to the handler). */
  public long position(int partition) {
    return consumer.position(new TopicPartition(topic, partition));
  }

  /** Samples the position and lag of every owned partition, for {@link #positions()} (no call to the cluster). */
  private void samplePositions() {
    long nanos = System.nanoTime();
    if (nanos - lastSampleNanos < SAMPLE_NANOS && !assignmentChanged) {
      return;
    }
    lastSampleNanos = nanos;
    assignmentChanged = false;
    Map<Integer, Position> before = positions;
    Map<Integer, Position> now = new HashMap<>();
    for (int p : owned) {
      TopicPartition tp = new TopicPartition(topic, p);
      long position;
      try {
        position = consumer.position(tp, Duration.ZERO);
      } catch (RuntimeException e) {
        continue; // not known yet (being restored or reset)
      }
      Position was = before.get(p);
      now.put(p, new Position(position, consumer.currentLag(tp).orElse(-1), was == null ? position : was.first()));
    }
    positions = now;
  }

  /**
   * Where an owned partition stands.
   *
   * @param next the next offset to read
   * @param lag records behind the partition's end as last fetched, or -1 when not known yet
   * @param first the next offset when this member first saw the partition
   */
  public record Position(long next, long lag, long first) {}

  /** Per partition this member owns, where it stands. Any thread. */
  public Map<Integer, Position> positions() {
    return positions;
  }

  /** When the last commit succeeded (the clock's nanoseconds; -1 before the first) and how long it took. */
  public long[] lastCommit() {
    return new long[] {lastCommitNanos, lastCommitDurationNanos};
  }

  /** The partitions this member owns now. */
  public Set<Integer> owned() {
    return owned;
  }

  /**
   * {@link #endOffsets()}, or null when the cluster did not answer within the consumer's API
   * timeout (a broker restarting): the caller looks again later.
   */
  public Map<Integer, Long> endOffsetsIfKnown() {
    try {
      return endOffsets();
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      return null;
    }
  }

  /** The committed end (last stable offset) of every partition of the input topic. */
  public Map<Integer, Long> endOffsets() {
    List<TopicPartition> all = new ArrayList<>();
    for (PartitionInfo p : consumer.partitionsFor(topic)) {
      all.add(new TopicPartition(topic, p.partition()));
    }
    Map<Integer, Long> out = new HashMap<>();
    consumer.endOffsets(all).forEach((tp, o) -> out.put(tp.partition(), o));
    return out;
  }

  /**
   * Whether this member joined the group (got an assignment, possibly empty). A member waiting to
   * join — the group waits for members that died to time out — has not seen the input yet.
   */
  public boolean joined() {
    return joined;
  }

  /** When a record last arrived, or the member started or got an assignment (the clock's nanoseconds). */
  public long lastRecordNanos() {
    return lastRecordNanos;
  }

  /** Transactions committed, and commits refused because the group moved on. */
  public long[] commitCounts() {
    return new long[] {commits, fenced};
  }

  /** Asks the member to leave after its current poll; any thread. */
  public void stop() {
    stopping = true;
    consumer.wakeup();
  }

  /**
   * For a member that did not leave in time after {@link #stop()} (a producer call waiting on a
   * cluster that does not answer, or on a deleted topic): closes its producer at once from this
   * thread, which fails the waiting call; what it had not committed is aborted by the broker.
   */
  public void abandon() {
    stopping = true;
    producer.close(Duration.ZERO);
    consumer.wakeup();
  }

  /** Closes a member whose {@link #run} never started (another member failed to start): nothing to leave or commit. */
  public void closeUnstarted() {
    stopping = true;
    producer.close(Duration.ZERO);
    consumer.close(Duration.ZERO);
  }

  private void close() {
    closing = true; // a rebalance callback from here on only forgets: the clean leave committed already
    try {
      producer.abortTransaction();
    } catch (RuntimeException e) {
      // nothing open, fenced, or abandoned
    }
    producer.close(Duration.ofSeconds(5));
    try {
      consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
    } catch (KafkaException e) {
      // leaving anyway; what this member did not commit is read again by the next owner
    }
  }

  /** Restores each partition from its committed state and seeks it there, or to the start position. */
  private void positionFresh(Collection<TopicPartition> partitions) {
    List<TopicPartition> atStart = new ArrayList<>();
    Map<Integer, Long> offsets = handler.assigned(numbers(partitions));
    for (TopicPartition tp : partitions) {
      long offset = offsets.getOrDefault(tp.partition(), -1L);
      owned.add(tp.partition());
      if (offset >= 0) {
        consumer.seek(tp, offset);
      } else {
        atStart.add(tp);
      }
    }
    dirty = true; // the new partitions' state is written at the next commit
    lastRecordNanos = nanoClock.getAsLong(); // idle time counts from when there is something to read
    if (atStart.isEmpty()) {
      return;
    }
    if (from.equals("earliest")) {
      consumer.seekToBeginning(atStart);
    } else if (from.equals("latest")) {
      consumer.seekToEnd(atStart);
    } else {
      long millis = Instant.parse(from).toEpochMilli();
      Map<TopicPartition, Long> query = new HashMap<>();
      for (TopicPartition tp : atStart) {
        query.put(tp, millis);
      }
      Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
      List<TopicPartition> toEnd = new ArrayList<>();
      for (TopicPartition tp : atStart) {
        OffsetAndTimestamp o = found.get(tp);
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

  private static List<Integer> numbers(Collection<TopicPartition> partitions) {
    List<Integer> list = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      list.add(tp.partition());
    }
    return list;
  }

  /**
   * What this member did since its last commit no longer counts: it forgets everything it holds,
   * and what the group still gives it, but {@code leaving}, starts again from its committed state
   * ({@code leaving} null: nothing starts again, the member is leaving).
   */
  private void startOver(Collection<TopicPartition> leaving) {
    List<Integer> all = new ArrayList<>(owned);
    owned.clear();
    handler.lost(all);
    if (leaving == null) {
      return;
    }
    List<TopicPartition> still = new ArrayList<>(consumer.assignment());
    still.removeAll(leaving);
    positionFresh(still);
  }

  /** Forgets partitions without a commit (the member is closing; its clean leave committed already). */
  private void forget(Collection<TopicPartition> partitions) {
    List<Integer> gone = numbers(partitions);
    owned.removeAll(gone);
    handler.lost(gone);
  }

  /** Moves state with the partitions: commit before they go, restore when they come. */
  private final class Listener implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      assignmentChanged = true;
      if (partitions.isEmpty()) {
        return;
      }
      if (closing) {
        forget(partitions);
        return;
      }
      List<Integer> gone = numbers(partitions);
      try {
        handler.revoked(gone);
      } catch (FencedException e) {
        startOver(partitions);
        return;
      }
      owned.removeAll(gone);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      assignmentChanged = true;
      if (closing) {
        forget(partitions);
        return;
      }
      // another member may own them already: what this one did since its last commit must not count
      try {
        reopen();
      } catch (KafkaException e) {
        // fenced for good; the run ends with the next commit's error
      }
      startOver(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      assignmentChanged = true;
      positionFresh(partitions);
      joined = true; // (also with nothing assigned: this member is in the group now)
      lastRecordNanos = nanoClock.getAsLong();
    }
  }
}
