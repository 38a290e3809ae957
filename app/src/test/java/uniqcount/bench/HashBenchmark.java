package uniqcount.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.datasketches.hash.MurmurHash3;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import uniqcount.frame.UidHash;
import uniqcount.reference.JacksonReference;

/**
 * Cost per frame of hashing its uid: today's {@link UidHash#hash} against the DataSketches-
 * compatible {@link UidHash#sketchHash} (MurmurHash3_x64_128, seed 9001, packed), with
 * DataSketches' own MurmurHash3 (which copies the uid into an array and allocates the result) as a
 * reference. The uids are the first 4,096 of the challenge sample ({@code ../shared/data}), in
 * their order. Run: {@code scripts/jmh HashBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HashBenchmark {
  private static final int UIDS = 4096;
  private byte[][] uids;

  @Setup
  public void setUp() throws IOException {
    List<byte[]> list = new ArrayList<>();
    String path = System.getProperty("uniqcount.sample", "../../shared/data/challenge-inorder-50k.jsonl.gz");
    try (BufferedReader in = new BufferedReader(new InputStreamReader(
        new GZIPInputStream(Files.newInputStream(Paths.get(path))), StandardCharsets.UTF_8))) {
      String line;
      while (list.size() < UIDS && (line = in.readLine()) != null) {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        JacksonReference.Fields f = JacksonReference.parse(b, 0, b.length);
        if (f != null && !f.uid.isEmpty()) {
          list.add(f.uid.getBytes(StandardCharsets.UTF_8));
        }
      }
    }
    uids = list.toArray(new byte[0][]);
  }

  @Benchmark
  @OperationsPerInvocation(UIDS)
  public long uidHash() {
    long sum = 0;
    for (byte[] u : uids) {
      sum += UidHash.hash(u, 0, u.length);
    }
    return sum;
  }

  @Benchmark
  @OperationsPerInvocation(UIDS)
  public long sketchHash() {
    long sum = 0;
    for (byte[] u : uids) {
      sum += UidHash.sketchHash(u, 0, u.length);
    }
    return sum;
  }

  @Benchmark
  @OperationsPerInvocation(UIDS)
  public long dataSketchesMurmur3() {
    long sum = 0;
    for (byte[] u : uids) {
      sum += MurmurHash3.hash(u, UidHash.SKETCH_SEED)[0];
    }
    return sum;
  }
}
