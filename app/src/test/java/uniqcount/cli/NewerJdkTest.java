package uniqcount.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uniqcount.gen.FrameGenerator;
import uniqcount.gen.GeneratorOptions;

/**
 * The program on a JDK newer than the one the tests run on (JDK 25 on these machines, under
 * /usr/lib/jvm): {@code hll} counting and range queries give what they give here. DataSketches
 * Memory 3.0.2 refused such JDKs, so every hll estimate failed there ({@code SketchMemory}).
 * Skipped where no JDK newer than 21 is installed.
 */
class NewerJdkTest {
  @TempDir Path dir;

  @Test
  void hllCountsAndRangeQueriesOnANewerJdkAreTheSameAsHere() throws Exception {
    Path java = newerJava();
    Assumptions.assumeTrue(java != null, "no JDK newer than 21 under /usr/lib/jvm");

    GeneratorOptions o = new GeneratorOptions();
    o.startSec = Instant.parse("2026-03-01T10:00:07Z").getEpochSecond();
    o.count = 12_000;
    o.ratePerSec = 40; // five minutes of event time: a range query unites several minute windows
    o.users = 3_000;
    o.seed = 25;
    o.sizeBytes = 400;
    o.delaySec = 20;
    o.delayPercent = 5;
    o.bitflipProb = 0.002;
    o.stringTsProb = 0.1;
    o.badProb = 0.01;
    o.dupProb = 0.02;
    o.dialectProb = 0.05;
    Path in = dir.resolve("frames.jsonl");
    try (var out = Files.newOutputStream(in)) {
      new FrameGenerator(o).writeAll(out);
    }

    Path here = dir.resolve("here.jsonl");
    Cli.Run r = Cli.run("count", "--input", in.toString(), "--counter", "hll", "--emit-sketch", "--output", here.toString(),
        "--stats-interval", "0");
    assertEquals(0, r.exit, r.err);
    Path there = dir.resolve("there.jsonl");
    String countLog = runOn(java, "count", "--input", in.toString(), "--counter", "hll", "--emit-sketch",
        "--output", there.toString(), "--stats-interval", "0");
    assertEquals(Cli.lastValuesPerWindow(Files.readString(here)), Cli.lastValuesPerWindow(Files.readString(there)), countLog);

    String[] range = {"--from", "2026-03-01T10:01:00Z", "--to", "2026-03-01T10:04:00Z"};
    Cli.Run q = Cli.run("query", "--input", here.toString(), range[0], range[1], range[2], range[3]);
    assertEquals(0, q.exit, q.err);
    assertTrue(q.out.contains("\"uniques\""), q.out);
    String queried = runOn(java, "query", "--input", here.toString(), range[0], range[1], range[2], range[3]);
    assertEquals(q.out.trim(), lastLine(queried));
  }

  /** Runs the program on {@code java} with the launcher's options for it; returns its stdout and stderr. */
  private String runOn(Path java, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(java.toString(), "-Xmx512m", "--add-modules=jdk.incubator.vector"));
    if (feature(java) >= 23) {
      cmd.add("--sun-misc-unsafe-memory-access=allow"); // as the launcher does: JDK 24+ warns otherwise
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "uniqcount.cli.Main"));
    cmd.addAll(List.of(args));
    Path log = dir.resolve("child.log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM did not end");
    String output = Files.readString(log);
    assertEquals(0, p.exitValue(), output);
    assertFalse(output.contains("internal error"), output);
    return output;
  }

  private static String lastLine(String text) {
    String[] lines = text.trim().split("\n");
    return lines[lines.length - 1].trim();
  }

  /** The newest JDK under /usr/lib/jvm whose feature version is above 21, or null. */
  static Path newerJava() throws IOException {
    Path jvms = Paths.get("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return null;
    }
    Path best = null;
    int bestFeature = 21;
    try (Stream<Path> homes = Files.list(jvms)) {
      for (Path home : (Iterable<Path>) homes.sorted()::iterator) {
        Path java = home.resolve("bin/java");
        int feature = Files.isExecutable(java) ? feature(java) : -1;
        if (feature > bestFeature) {
          bestFeature = feature;
          best = java;
        }
      }
    }
    return best;
  }

  /** The feature version of the JDK that {@code java} belongs to, from its release file; -1 if not known. */
  private static int feature(Path java) throws IOException {
    Path release = java.getParent().getParent().resolve("release");
    if (!Files.isRegularFile(release)) {
      return -1;
    }
    Matcher m = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)").matcher(Files.readString(release));
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }
}
