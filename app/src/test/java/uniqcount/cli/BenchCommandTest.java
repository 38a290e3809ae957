package uniqcount.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code uniqcount bench} runs its whole method on a small input: decode-only paths and child count runs. */
class BenchCommandTest {
  @Test
  void smallBenchPrintsEveryPathAndEveryEndToEndRow() {
    Cli.Run r = Cli.run("bench", "-c", "3000", "--rounds", "1", "--runs", "1", "--threads", "1", "--compressed");
    assertEquals(0, r.exit, r.err);
    assertTrue(r.out.contains("decode only: 3,000 frames"), r.out);
    for (String path : new String[] {"exact ", "swar ", "exact+trust ", "jackson "}) {
      assertTrue(r.out.contains("\n  " + path), path + " missing:\n" + r.out);
    }
    for (String input : new String[] {"plain", "gzip", "zstd"}) {
      assertTrue(r.out.matches("(?s).*\\n  1 +validate +" + input + " .*"), input + ":\n" + r.out);
      assertTrue(r.out.matches("(?s).*\\n  1 +trust +" + input + " +exact\\+trust .*"), input + ":\n" + r.out);
    }
  }

  @Test
  void badOptionsAreOneLine() {
    Cli.Run r = Cli.run("bench", "-c", "10");
    assertEquals(2, r.exit);
    assertTrue(r.err.strip().startsWith("uniqcount bench: --frames must be >= 1000"), r.err);
    Cli.Run codec = Cli.run("bench", "--kafka", "--kafka-compression", "brotli");
    assertEquals(2, codec.exit);
    assertTrue(codec.err.strip().startsWith("uniqcount bench: --kafka-compression must be none, gzip, snappy, lz4 or zstd"),
        codec.err);
  }
}
