package uniqcount.engine;

import java.util.List;
import java.util.Map;

/**
 * What a running job can tell about itself at one moment, as values: for the metrics endpoint,
 * the progress line and the stats. Taken by {@link Job#status()} from any thread; every number
 * is read from counters the job keeps anyway (nothing is added to the per-frame path).
 *
 * @param healthy false once the job failed
 * @param frames frames read (accepted and rejected)
 * @param accepted frames counted
 * @param rejectedByReason rejected frames per reason label ({@code truncated}, {@code missing_uid}, …), every reason
 * @param implausible frames whose timestamp the event-time clock judged implausible (bit flips)
 * @param lateDropped frames whose window was already released
 * @param bytes bytes of frames decoded
 * @param decodeSeconds worker time spent decoding JSON
 * @param busySeconds worker time spent on frames in all (decoding, windows, counting)
 * @param resultsByStatus result records published per status label ({@code early}, {@code final}, {@code update})
 * @param windows open windows and their counters' bytes, per granularity and kind
 * @param watermarkSec the global watermark this process knows (unix seconds), or {@link Long#MIN_VALUE}
 * @param partitions the input partitions this process counts now
 * @param progress how far the input is read
 * @param commits checkpoints (files) or commits of state and offsets (Kafka)
 * @param partialsPublished scale-out: partition state records this process wrote to the state topic
 * @param partialsMerged scale-out: partition state records the merge step of this process applied
 */
public record JobStatus(boolean healthy, long frames, long accepted, Map<String, Long> rejectedByReason,
    long implausible, long lateDropped, long bytes, double decodeSeconds, double busySeconds,
    Map<String, Long> resultsByStatus, List<WindowStats> windows, long watermarkSec, List<PartitionStatus> partitions,
    Progress progress, Commits commits, long partialsPublished, long partialsMerged) {

  /** Windows held, per granularity; {@code kind} is {@code counting} (this process's partitions) or {@code merge} (the merge step's views of every partition). */
  public record WindowStats(String granularity, String kind, long open, long stateBytes) {}

  /**
   * One input partition counted here.
   *
   * @param id the input's index (files) or the topic's partition number (Kafka)
   * @param watermarkSec its watermark, or {@link Long#MIN_VALUE} before its first plausible frame
   * @param lag records behind the partition's end (Kafka, as last fetched), or -1
   */
  public record PartitionStatus(int id, long watermarkSec, long lag) {}

  /**
   * How far the input is read: for files the bytes of the inputs (as stored, compressed or not);
   * for Kafka the records between where this process's partitions started and their ends when it
   * started. {@code live}: a Kafka catch-up is over, the rest is following the stream.
   *
   * @param unit {@code bytes} or {@code records}
   * @param done read so far
   * @param total to read, or -1 when not known (stdin)
   */
  public record Progress(String unit, long done, long total, boolean live) {
    /** The fraction done, 0..1, or -1 when the total is not known. */
    public double fraction() {
      return total <= 0 ? (total == 0 ? 1 : -1) : Math.min(1.0, (double) done / total);
    }
  }

  /**
   * Checkpoints (files: {@code --checkpoint}) or commits of state with offsets (Kafka).
   *
   * @param enabled whether any are taken
   * @param taken how many succeeded
   * @param failures how many failed (Kafka: refused because the group moved on; files: the one that ends the run)
   * @param ageSeconds seconds since the last success (or since the start), -1 when disabled
   * @param lastDurationSeconds how long the last success took
   */
  public record Commits(boolean enabled, long taken, long failures, double ageSeconds, double lastDurationSeconds) {}
}
