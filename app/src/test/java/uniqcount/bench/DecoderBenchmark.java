package uniqcount.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import uniqcount.frame.BlockScanner;
import uniqcount.frame.FrameDecoder;

/**
 * Extracting root uid + ts from 2,000 generated ~2 KB frames held in memory: our decoder's passes
 * against Jackson streaming (the usual baseline). {@code path}: {@code exact} is the exact pass
 * alone, {@code swar} and {@code vector} put the fast pass with that block scanner in front, and
 * {@code -trust} stops once both root fields are found. Run: {@code scripts/jmh DecoderBenchmark}
 * (the vector paths need JDK 21+ to be fast; on JDK 17 they are measured but slow).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DecoderBenchmark {
  private static final int FRAMES = 2000;
  private final InMemoryFrames frames = InMemoryFrames.generate(FRAMES);
  private final JsonFactory jackson = new JsonFactory();
  private FrameDecoder decoder;

  @Param({"exact", "swar", "vector", "swar-trust", "vector-trust"})
  public String path;

  @Setup
  public void setUp() {
    decoder = decoder(path);
  }

  /** A decoder for a {@code path} parameter. */
  public static FrameDecoder decoder(String path) {
    boolean trust = path.endsWith("-trust");
    String scanner = trust ? path.substring(0, path.length() - "-trust".length()) : path;
    BlockScanner s = scanner.equals("exact") ? null : BlockScanner.choose(BlockScanner.Choice.valueOf(scanner.toUpperCase(java.util.Locale.ROOT)));
    return new FrameDecoder("uid", "ts", 1 << 20, s, trust);
  }

  /** Frames per benchmark op; bytes per op are about 2,080 × this. */
  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public long uniqcountDecoder() {
    return frames.decodeAll(decoder);
  }

  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public long jacksonStreaming() throws IOException {
    long sum = 0;
    for (int i = 0; i < FRAMES; i++) {
      try (JsonParser p = jackson.createParser(frames.bytes, frames.starts[i], frames.lengths[i])) {
        p.nextToken();
        String uid = null;
        long ts = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          JsonToken t = p.nextToken();
          if (name.equals("uid") && t == JsonToken.VALUE_STRING) {
            uid = p.getText();
          } else if (name.equals("ts") && t == JsonToken.VALUE_NUMBER_INT) {
            ts = p.getLongValue();
          } else {
            p.skipChildren();
          }
        }
        if (uid != null) {
          sum += ts ^ uid.hashCode();
        }
      }
    }
    return sum;
  }
}
