package uniqcount.bench;

import java.util.Arrays;
import uniqcount.frame.FrameDecoder;
import uniqcount.gen.ByteBuffer;
import uniqcount.gen.FrameGenerator;
import uniqcount.gen.GeneratorOptions;

/** Generated ~2 KB frames held in one array, for the benchmarks: frame i is {@code bytes[starts[i], starts[i] + lengths[i])}. */
final class InMemoryFrames {
  final byte[] bytes;
  final int[] starts;
  final int[] lengths;

  private InMemoryFrames(byte[] bytes, int[] starts, int[] lengths) {
    this.bytes = bytes;
    this.starts = starts;
    this.lengths = lengths;
  }

  /** {@code count} frames from the generator's defaults (no faults), without their newlines. */
  static InMemoryFrames generate(int count) {
    GeneratorOptions o = new GeneratorOptions();
    o.count = count;
    FrameGenerator g = new FrameGenerator(o);
    ByteBuffer buf = new ByteBuffer(count * 2200);
    int[] starts = new int[count];
    int[] lengths = new int[count];
    for (int i = 0; i < count; i++) {
      starts[i] = buf.length();
      lengths[i] = g.next(buf) - 1;
    }
    return new InMemoryFrames(Arrays.copyOf(buf.array(), buf.length()), starts, lengths);
  }

  int count() {
    return starts.length;
  }

  /** Decodes every frame; returns a checksum of the accepted ones' ts and uid hash. */
  long decodeAll(FrameDecoder d) {
    long sum = 0;
    for (int i = 0; i < starts.length; i++) {
      if (d.decode(bytes, starts[i], lengths[i])) {
        sum += d.timestampSec() ^ d.uidHash();
      }
    }
    return sum;
  }
}
