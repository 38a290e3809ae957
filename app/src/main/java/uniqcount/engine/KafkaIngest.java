package uniqcount.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

  private final Job job;
  private final JobConfig.TopicInput input;
  private int partitionCount;
  private long[] positions;
  private KafkaFrameSource source;

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
    while (!job.stopRequested()) {
      Thread.sleep(WATCH_MILLIS);
      if (source.failure() != null) {
        throw asException(source.failure());
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
    if (source != null) {
      source.stop();
      if (source.failure() != null) {
        job.fail(source.failure());
      }
    }
  }
}
