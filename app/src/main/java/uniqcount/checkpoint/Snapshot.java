package uniqcount.checkpoint;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import uniqcount.count.CounterSpec;
import uniqcount.emit.Emitter;
import uniqcount.source.InputException;
import uniqcount.window.Partition;
import uniqcount.window.Shard;

/**
 * The payload of a snapshot: everything a run needs to continue as if it had not stopped.
 *
 * <pre>
 * utf     fingerprint: the options that give the state its meaning (windows, zone, counter,
 *         precision, field names) and the input (file list or topic)
 * int     partitions n, then n × long source position (files: bytes of the file already
 *         counted; Kafka: the next offset to read; -1: none yet)
 * long    bytes of the output file already written (-1: not a file)
 * ...     Emitter state: watermark, per window revision / frames / final
 * ...     n × Partition state: finished, watermark, believed / held frames
 * ...     all shards' windows merged (counters included) and the summed stats
 * </pre>
 */
public final class Snapshot {
  /** Source position per partition. */
  public final long[] positions;
  /** Output file length at the snapshot, or -1. */
  public final long outputPosition;

  private Snapshot(long[] positions, long outputPosition) {
    this.positions = positions;
    this.outputPosition = outputPosition;
  }

  /** Serialises the state; the caller guarantees nothing changes meanwhile. */
  public static byte[] capture(String fingerprint, long[] positions, long outputPosition, Emitter emitter,
      List<Partition> partitions, List<Shard> shards) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeUTF(fingerprint);
    out.writeInt(positions.length);
    for (long p : positions) {
      out.writeLong(p);
    }
    out.writeLong(outputPosition);
    emitter.writeState(out);
    out.writeInt(partitions.size());
    for (Partition p : partitions) {
      p.writeState(out);
    }
    Shard.writeState(shards, out);
    out.flush();
    return bytes.toByteArray();
  }

  /**
   * Restores the state into fresh objects (all windows into the first shard) and returns the
   * source positions.
   *
   * @throws InputException if the snapshot was made with other options or another input
   */
  public static Snapshot restore(byte[] payload, String fingerprint, Emitter emitter, List<Partition> partitions,
      List<Shard> shards, CounterSpec spec, boolean keepFinished) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload));
    String found = in.readUTF();
    if (!found.equals(fingerprint)) {
      throw new InputException("the checkpoint was made with other options or input: it has [" + found
          + "], this run [" + fingerprint + "]; use the same options, or another --checkpoint directory");
    }
    int n = in.readInt();
    if (n != partitions.size()) {
      throw new InputException("the checkpoint has " + n + " partitions, the input now " + partitions.size());
    }
    long[] positions = new long[n];
    for (int i = 0; i < n; i++) {
      positions[i] = in.readLong();
    }
    long outputPosition = in.readLong();
    emitter.readState(in);
    int m = in.readInt();
    if (m != partitions.size()) {
      throw new InputException("the checkpoint's partition state is inconsistent");
    }
    for (Partition p : partitions) {
      p.readState(in, keepFinished);
    }
    shards.get(0).readState(in, spec);
    if (in.available() != 0) {
      throw new InputException("the checkpoint has " + in.available() + " unexpected trailing bytes");
    }
    return new Snapshot(positions, outputPosition);
  }
}
