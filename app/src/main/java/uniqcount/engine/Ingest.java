package uniqcount.engine;

import java.util.List;
import java.util.Map;
import uniqcount.kafka.KafkaAdmin;
import uniqcount.window.Partition;
import uniqcount.window.Windows;

/**
 * How frames reach the {@link Job}'s workers: one adapter for files and stdin ({@link
 * FileIngest}), one for a Kafka topic ({@link KafkaIngest}). The job owns everything else.
 */
interface Ingest {
  /** Why {@link #run()} returned. */
  enum End {
    /** A finite input was read to its end: every window is flushed as final. */
    INPUT_OVER,
    /** Kafka: no record for the idle-exit time: every window is flushed as final. */
    IDLE,
    /** A stop was requested: what was read is counted, nothing is flushed. */
    STOPPED
  }

  /**
   * Checks the input before anything starts and returns its partition count.
   *
   * @param admin a connected admin client when Kafka is used, else null
   */
  int open(KafkaAdmin admin);

  /**
   * The input as it goes into a checkpoint's fingerprint: {@code input} (files or the topic), and
   * for files each one with its size and modification time, so a replaced file is not resumed.
   */
  Map<String, String> describe();

  /** Whether a partition that was finished in a snapshot stays finished (a file does; a Kafka partition gets new records). */
  boolean keepsFinished();

  /** Worker threads when none are asked for, once {@link #open opened}: the cores. */
  default int workers() {
    return Runtime.getRuntime().availableProcessors();
  }

  /** Relates the partitions as the input requires (files: one history, each continuing the one before). */
  default void link(List<Partition> partitions) {}

  /** Where reading starts, per partition (from a snapshot), or null for the beginning. */
  void startAt(long[] positions);

  /** Reads until the input ends, the idle exit, or a stop request; checkpoints when due. */
  End run() throws Exception;

  /** The positions a last checkpoint records, after {@link #stop()}. */
  long[] finalPositions(End end);

  /** Stops and joins every thread of the adapter (idempotent; also after a failure). */
  void stop() throws InterruptedException;

  /**
   * What the adapter adds to the job's status, from any thread: the partitions counted here now,
   * progress, commits (Kafka; files report their checkpoints through the job), the merge step's
   * views and watermark (Kafka), the partial state written and merged (Kafka).
   */
  Status status();

  /**
   * @param partitions the input partitions counted here, each with its partition
   * @param progress how far the input is read
   * @param commits Kafka's commits of state and offsets, or null (files: the job's checkpoints)
   * @param mergeViews the windows of the merge step (Kafka, while this process merges), else empty
   * @param watermarkSec the global watermark (Kafka: the merge step's, or the last merge record's), or null (files: the emitter's)
   * @param partialsPublished state records written
   * @param partialsMerged state records the merge step applied
   */
  record Status(List<Counted> partitions, JobStatus.Progress progress, JobStatus.Commits commits, List<Windows> mergeViews,
      Long watermarkSec, long partialsPublished, long partialsMerged) {}

  /** One input partition counted here, with the input's number for it and its lag (-1 when not known). */
  record Counted(int id, Partition partition, long lag) {}
}
