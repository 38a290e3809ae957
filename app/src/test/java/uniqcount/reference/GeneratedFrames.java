package uniqcount.reference;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import uniqcount.gen.FrameGenerator;
import uniqcount.gen.GeneratorOptions;

/** Frames from the generator, in memory, for tests: the bytes, the lines, and their reference counts. */
public final class GeneratedFrames {
  private GeneratedFrames() {}

  /**
   * Frames with a little of every fault the generator injects: 5% delayed by up to {@code
   * delaySec}, 0.2% bit-flipped timestamps, 10% string timestamps, 1% bad lines, 1% repeats, 5%
   * dialect (whitespace, escapes).
   */
  public static GeneratorOptions withFaults(long startSec, long count, int ratePerSec, int users, long seed,
      int sizeBytes, int delaySec) {
    GeneratorOptions o = new GeneratorOptions();
    o.startSec = startSec;
    o.count = count;
    o.ratePerSec = ratePerSec;
    o.users = users;
    o.seed = seed;
    o.sizeBytes = sizeBytes;
    o.delaySec = delaySec;
    o.delayPercent = 5;
    o.bitflipProb = 0.002;
    o.stringTsProb = 0.1;
    o.badProb = 0.01;
    o.dupProb = 0.01;
    o.dialectProb = 0.05;
    return o;
  }

  /** Everything the generator writes for {@code o} (not all of it UTF-8: it writes broken frames too). */
  public static byte[] bytes(GeneratorOptions o) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      new FrameGenerator(o).writeAll(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The lines of {@code all}, without their line feeds. */
  public static List<byte[]> lines(byte[] all) {
    List<byte[]> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < all.length; i++) {
      if (all[i] == '\n') {
        lines.add(Arrays.copyOfRange(all, start, i));
        start = i + 1;
      }
    }
    return lines;
  }

  /** The lines the generator writes for {@code o}. */
  public static List<byte[]> lines(GeneratorOptions o) {
    return lines(bytes(o));
  }

  /**
   * Jackson + HashSet counts (UTC) of {@code all}, over the generator's true range for {@code o}:
   * a bit-flipped ts outside it is implausible, not counted.
   */
  public static ReferenceCounts reference(GeneratorOptions o, byte[] all) {
    return empty(o).addLines(all);
  }

  /** The same, of lines. */
  public static ReferenceCounts reference(GeneratorOptions o, List<byte[]> lines) {
    ReferenceCounts ref = empty(o);
    for (byte[] l : lines) {
      ref.add(l, 0, l.length);
    }
    return ref;
  }

  private static ReferenceCounts empty(GeneratorOptions o) {
    return new ReferenceCounts(ZoneId.of("UTC")).range(o.startSec - o.delaySec, o.startSec + o.count / o.ratePerSec + 1);
  }
}
