package uniqcount.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import uniqcount.UserException;
import uniqcount.kafka.KafkaAdmin;
import uniqcount.source.FrameHandler;
import uniqcount.source.KafkaFrameSource;
import uniqcount.window.Partition;

/**
 * A Kafka topic: each worker polls its own consumer of one consumer group and counts what it
 * polled, with no hand-off; the job's thread watches for the idle exit, a stop request, a
 * failure and checkpoints (consumers pause at a batch boundary while the snapshot is taken).
 */
final class KafkaIngest implements Ingest {
  /** How often the job's thread looks at the clock, a stop request and the consumers. */
  private static final long WATCH_MILLIS = 100;
  /** How often the input topic is checked for deletion or growth (the job's clock). */
  private static final long TOPIC_CHECK_NANOS = 30_000_000_000L;

  private final Job job;
  private final JobConfig.TopicInput input;
  private int partitionCount;
  private long[] positions;
  private KafkaFrameSource source;
  private Thread topicWatch;
  private volatile boolean stopping;
  private final java.util.concurrent.atomic.AtomicReference<UserException> topicProblem =
      new java.util.concurrent.atomic.AtomicReference<>();

  KafkaIngest(Job job, JobConfig.TopicInput input) {
    this.job = job;
    this.input = input;
  }

  @Override
  public int open(KafkaAdmin admin) {
    partitionCount = admin.partitions(input.topic());
    return partitionCount;
  }

  @Override
  public Map<String, String> describe() {
    return Map.of("input", "kafka:" + input.topic());
  }

  @Override
  public boolean keepsFinished() {
    return false;
  }

  @Override
  public void startAt(long[] from) {
    positions = from != null ? from : Job.positions(partitionCount, -1);
  }

  @Override
  public End run() throws Exception {
    List<Partition> partitions = job.partitions();
    List<FrameHandler> handlers = new ArrayList<>();
    for (Worker worker : job.workers()) {
      handlers.add(new FrameHandler() {
        @Override
        public void onPartitionAssigned(int partition) {
          if (partition >= partitions.size()) {
            throw grew(partition + 1);
          }
          partitions.get(partition).expect();
        }

        @Override
        public void onFrame(int partition, byte[] bytes, int offset, int length) {
          worker.onFrame(bytes, offset, length);
        }

        @Override
        public void onBatchEnd(int partition) {
          worker.endBatch(partitions.get(partition), false);
        }

        @Override
        public void onPartitionEnd(int partition) {
          worker.endBatch(partitions.get(partition), true);
        }
      });
    }
    JobConfig config = job.config();
    source = new KafkaFrameSource(config.kafka().settings(), input.topic(), input.group(), input.from().text(),
        job.clock()::nanoTime);
    boolean checkpointed = config.recovery().enabled();
    if (checkpointed) {
      Map<Integer, Long> startOffsets = new HashMap<>();
      for (int i = 0; i < positions.length; i++) {
        if (positions[i] >= 0) {
          startOffsets.put(i, positions[i]);
        }
      }
      source.startFrom(startOffsets);
    }
    if (config.recovery().exactlyOnce()) {
      source.noOffsetCommits();
    }
    source.start(handlers, partitionCount);
    long idleNanos = input.exitOnIdle() == null ? Long.MAX_VALUE : input.exitOnIdle().toNanos();
    topicWatch = new Thread(this::watchTopic, "uniqcount-topic-watch");
    topicWatch.setDaemon(true);
    topicWatch.start();
    while (!job.stopRequested()) {
      Thread.sleep(WATCH_MILLIS);
      if (source.failure() != null) {
        throw asException(source.failure());
      }
      if (topicProblem.get() != null) {
        throw topicProblem.get();
      }
      if (job.clock().nanoTime() - source.lastRecordNanos() >= idleNanos) {
        return End.IDLE;
      }
      if (job.checkpointDue()) {
        Map<Integer, Long> at = source.pause();
        if (at == null) {
          job.postponeCheckpoint();
          continue;
        }
        try {
          at.forEach((p, offset) -> positions[p] = offset);
          job.checkpoint(positions);
        } finally {
          source.resume();
        }
      }
    }
    return End.STOPPED;
  }

  /**
   * On its own thread, so a slow cluster never holds up checkpoints, the idle exit or a stop:
   * every {@link #TOPIC_CHECK_NANOS} of the job's clock, the input topic must still exist with the
   * partitions it had at the start. A deleted topic (which the consumers would wait on silently)
   * or a grown one (whose new partitions this run holds no state for) ends the run with one line.
   */
  private void watchTopic() {
    JobConfig config = job.config();
    try (KafkaAdmin admin = new KafkaAdmin(config.kafka().settings(), config.kafka().timeout())) {
      long next = job.clock().nanoTime() + TOPIC_CHECK_NANOS;
      while (!stopping) {
        Thread.sleep(WATCH_MILLIS);
        if (job.clock().nanoTime() < next) {
          continue;
        }
        next = job.clock().nanoTime() + TOPIC_CHECK_NANOS;
        int now;
        try {
          now = admin.partitions(input.topic());
        } catch (UserException e) {
          if (e.getMessage().contains("does not exist")) {
            topicProblem.compareAndSet(null,
                UserException.failure("topic '" + input.topic() + "' was deleted while it was being read", e));
          }
          continue; // a slow or briefly unreachable cluster: the consumers say so if it lasts
        }
        if (now > partitionCount) {
          topicProblem.compareAndSet(null, grew(now));
        }
      }
    } catch (InterruptedException e) {
      // stopping
    } catch (UserException e) {
      if (!stopping) {
        topicProblem.compareAndSet(null, e);
      }
    }
  }

  private UserException grew(int now) {
    return UserException.failure("topic '" + input.topic() + "' grew from " + partitionCount + " to " + now
        + " partitions while it was being read; start uniqcount again to read them all (a checkpoint of "
        + partitionCount + " partitions cannot be resumed: use another --checkpoint directory or group)");
  }

  private static Exception asException(Throwable t) {
    return t instanceof Exception ? (Exception) t : new IllegalStateException(t);
  }

  @Override
  public long[] finalPositions(End end) {
    long[] last = positions.clone();
    source.finalPositions().forEach((p, offset) -> last[p] = offset);
    return last;
  }

  @Override
  public void stop() throws InterruptedException {
    stopping = true;
    if (topicWatch != null) {
      topicWatch.interrupt();
      topicWatch.join();
    }
    if (source != null) {
      source.stop();
      if (source.failure() != null) {
        job.fail(source.failure());
      }
    }
  }
}
