package uniqcount.checkpoint;

import java.util.List;
import uniqcount.emit.Emitter;
import uniqcount.window.Partition;
import uniqcount.window.Windows;

/**
 * Everything a run needs to continue as if it had not stopped, as values; {@link StateCodec}
 * turns it into bytes and back.
 *
 * @param fingerprint the options that give the state its meaning (windows, zone, counter,
 *     precision, field names) and the input (file list or topic): only a run with the same
 *     fingerprint resumes it
 * @param positions per partition, where reading goes on (files: bytes already counted, -1 when
 *     the file is done; Kafka: the next offset, -1 for none yet)
 * @param outputPosition bytes of the output file already written, or -1 when not a file
 * @param emitter what was published per window, and the global watermark
 * @param partitions per input partition, its clock, windows and counters
 * @param retired the windows of finished partitions, folded together
 * @param totals the run's stats so far, in the order the layout of {@link StateCodec} names
 */
public record Snapshot(String fingerprint, long[] positions, long outputPosition, Emitter.State emitter,
    List<Partition.State> partitions, Windows.State retired, long[] totals) {}
