package uniqcount.window;

/** One run of decoded frames (ts, uid hash) of a partition, with its place in the partition's order. */
public final class DecodedBatch {
  final FrameBuffer frames;
  final long sequence;
  final boolean end;

  /**
   * @param frames the valid frames, in input order
   * @param sequence position among the partition's batches: 0, 1, 2, ... without gaps
   * @param end whether this is the partition's last batch (its input ended)
   */
  public DecodedBatch(FrameBuffer frames, long sequence, boolean end) {
    this.frames = frames;
    this.sequence = sequence;
    this.end = end;
  }
}
