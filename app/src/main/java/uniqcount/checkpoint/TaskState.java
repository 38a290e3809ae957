package uniqcount.checkpoint;

import java.util.List;
import uniqcount.window.Granularity;
import uniqcount.window.PartitionClock;

/**
 * What a Kafka partition's task record holds besides its windows (which are records of their
 * own): where reading resumes, whether the partition was idle, its event-time clock and its
 * release lines. Written in the same transaction as the windows and the consumer offsets.
 *
 * @param nextOffset the next input offset to read; every record before it is counted
 * @param idle whether no record came for the idle timeout (the partition then does not hold the
 *     global watermark back)
 * @param clock the partition's event-time clock
 * @param lateDropped frames it refused as beyond a window's horizon, so far
 * @param granularities the granularities counted, in order
 * @param releasedEndSec per granularity (same order): windows ending at or before it are gone
 */
public record TaskState(long nextOffset, boolean idle, PartitionClock.State clock, long lateDropped,
    List<Granularity> granularities, long[] releasedEndSec) {}
