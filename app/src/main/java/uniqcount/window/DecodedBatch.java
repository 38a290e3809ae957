package uniqcount.window;

/** One chunk's decoded frames with its place in its partition. */
final class DecodedBatch {
  final FrameBuffer frames;
  final long sequence;
  final boolean end;

  DecodedBatch(FrameBuffer frames, long sequence, boolean end) {
    this.frames = frames;
    this.sequence = sequence;
    this.end = end;
  }
}
