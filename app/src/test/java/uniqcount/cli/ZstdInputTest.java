package uniqcount.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uniqcount.reference.ReferenceCounts;

/**
 * {@code .zst} input (any file whose content starts with the zstd magic, several frames too) and
 * {@code generate -o x.jsonl.zst}: the same results as plain and gzip input, with 1 and 2
 * threads, against the reference; damaged data is a one-line error, never a silent end.
 */
class ZstdInputTest {
  @TempDir
  Path dir;

  private Path generate(String name, String seed) {
    Path f = dir.resolve(name);
    Cli.Run r = Cli.run("generate", "-c", "30000", "-r", "200", "-n", "4000", "-l", "300", "-s", seed, "--all-faults",
        "-o", f.toString());
    assertEquals(0, r.exit, r.err);
    return f;
  }

  @Test
  void zstdGzipAndPlainInputGiveTheSameResultsAsTheReference() throws Exception {
    Path plain = generate("f.jsonl", "4");
    Path zst = generate("f.jsonl.zst", "4");
    Path gz = generate("f.jsonl.gz", "4");
    byte[] z = Files.readAllBytes(zst);
    assertEquals(0x28, z[0] & 0xff, "a zstd frame");
    assertTrue(z.length * 4 < Files.size(plain), "compressed: " + z.length + " of " + Files.size(plain));
    // two frames one after the other (as `cat a.zst b.zst` makes), under a name that says nothing
    Path two = dir.resolve("two-frames");
    Path second = generate("g.jsonl.zst", "5");
    Files.write(two, z);
    Files.write(two, Files.readAllBytes(second), java.nio.file.StandardOpenOption.APPEND);

    ReferenceCounts reference = new ReferenceCounts(java.time.ZoneId.of("UTC"))
        .range(1_468_244_384L - 20, 1_468_244_384L + 30_000 / 200 + 1).addLines(Files.readAllBytes(plain));
    Map<String, String> truth = new TreeMap<>();
    reference.windows.forEach((k, w) -> truth.put(k, w.uids.size() + "/" + w.frames));
    for (String threads : new String[] {"1", "2"}) {
      for (Path input : new Path[] {plain, zst, gz}) {
        Cli.Run r = Cli.run("count", "-i", input.toString(), "--counter", "exact", "--threads", threads,
            "--stats-interval", "0");
        assertEquals(0, r.exit, r.err);
        assertEquals(truth, Cli.lastValuesPerWindow(r.out), input + ", " + threads + " thread(s)");
      }
    }
    // a skippable frame first, as pzstd writes: still zstd
    Path skippable = dir.resolve("skippable.zst");
    byte[] header = {0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4};
    Files.write(skippable, header);
    Files.write(skippable, z, java.nio.file.StandardOpenOption.APPEND);
    Cli.Run fromSkippable = Cli.run("count", "-i", skippable.toString(), "--counter", "exact", "--stats-interval", "0");
    assertEquals(0, fromSkippable.exit, fromSkippable.err);
    assertEquals(truth, Cli.lastValuesPerWindow(fromSkippable.out), "after a skippable frame");
    Cli.Run both = Cli.run("count", "-i", two.toString(), "--counter", "exact", "--stats-interval", "0");
    assertEquals(0, both.exit, both.err);
    Cli.Run separately = Cli.run("count", "-i", plain.toString(), "-i", generate("g.jsonl", "5").toString(),
        "--counter", "exact", "--stats-interval", "0");
    assertEquals(Cli.lastValuesPerWindow(separately.out), Cli.lastValuesPerWindow(both.out), "frames of both frames");
  }

  @Test
  void damagedZstdDataIsAnErrorNamingTheFile() throws Exception {
    byte[] z = Files.readAllBytes(generate("f.jsonl.zst", "6"));
    byte[] flipped = z.clone();
    flipped[z.length / 2] ^= 0x10;
    byte[] trailing = Arrays.copyOf(z, z.length + 7);
    System.arraycopy("garbage".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, trailing, z.length, 7);
    Map<String, byte[]> damaged = Map.of("truncated.zst", Arrays.copyOf(z, z.length / 2), "flipped.zst", flipped,
        "trailing.zst", trailing);
    for (Map.Entry<String, byte[]> e : damaged.entrySet()) {
      Path f = Files.write(dir.resolve(e.getKey()), e.getValue());
      Cli.Run r = Cli.run("count", "-i", f.toString(), "--stats-interval", "0");
      assertEquals(1, r.exit, e.getKey() + ": " + r.err);
      assertTrue(r.err.contains(f + ": damaged zstd data ("), r.err);
    }
  }
}
