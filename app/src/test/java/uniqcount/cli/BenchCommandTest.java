package uniqcount.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  @Test
  void aBenchStoppedBySignalLeavesNoTemporaryFiles(@TempDir Path tmp) throws Exception {
    Path log = tmp.resolve("bench.log");
    Path files = Files.createDirectory(tmp.resolve("tmp"));
    Process bench = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
        "-Djava.io.tmpdir=" + files, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "bench", "-c", "400000", "--rounds", "1", "--runs", "1", "--threads", "1")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (!Files.readString(log).contains("bench: generating") && bench.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(!benchFiles(files).isEmpty(), "the bench writes its frames to a temporary file: " + Files.readString(log));
      bench.destroy(); // SIGTERM, as Ctrl-C it runs the JVM's shutdown
      assertTrue(bench.waitFor(30, TimeUnit.SECONDS));
      assertEquals(List.of(), benchFiles(files), Files.readString(log));
    } finally {
      bench.destroyForcibly();
    }
  }

  private static List<Path> benchFiles(Path dir) throws java.io.IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("uniqcount-bench-")).toList();
    }
  }
}
