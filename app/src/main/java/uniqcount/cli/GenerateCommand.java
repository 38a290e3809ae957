package uniqcount.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import uniqcount.UserException;
import uniqcount.engine.Job;
import uniqcount.gen.FrameGenerator;
import uniqcount.gen.GeneratorOptions;
import uniqcount.kafka.KafkaAdmin;
import uniqcount.kafka.KafkaFrameWriter;
import uniqcount.kafka.KafkaSettings;
import uniqcount.source.MemberGzipOutputStream;

/** {@code uniqcount generate}: frames like the challenge generator's, with faults, to stdout or a file. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Writes frames shaped like the challenge generator's (one JSON object per line), deterministic for a seed.",
      "Probabilities are per line, between 0 and 1; -p is a percentage as in the challenge generator."
    })
final class GenerateCommand implements Callable<Integer> {
  private final Job.Streams io;

  @Option(names = {"-c", "--count"}, paramLabel = "N", defaultValue = "1000000", description = "Lines to write (default: ${DEFAULT-VALUE}).")
  long count;

  @Option(names = {"-r", "--rate"}, paramLabel = "N", defaultValue = "1000", description = "Frames per event-second (default: ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = {"-n", "--users"}, paramLabel = "N", defaultValue = "100000", description = "Distinct users (default: ${DEFAULT-VALUE}).")
  int users;

  @Option(names = {"-s", "--seed"}, paramLabel = "SEED", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = {"-l", "--size"}, paramLabel = "BYTES", defaultValue = "2048", description = "Approximate frame size (default: ${DEFAULT-VALUE}).")
  int size;

  @Option(names = {"-d", "--delay"}, paramLabel = "SECONDS", defaultValue = "0", description = "Largest delay: a delayed frame's ts is 1..SECONDS before its position (default: ${DEFAULT-VALUE}).")
  int delay;

  @Option(names = {"-p", "--delay-percent"}, paramLabel = "PERCENT", defaultValue = "0", description = "Percentage of frames delayed (default: ${DEFAULT-VALUE}).")
  double delayPercent;

  @Option(names = "--start", paramLabel = "UNIX_SECONDS", defaultValue = "1468244384", description = "Event time of the first frame (default: ${DEFAULT-VALUE}, 2016-07-11T13:39:44Z).")
  long start;

  @Option(names = "--bitflip-prob", paramLabel = "P", defaultValue = "0", description = "Flip one bit (--bitflip-min-bit..62) of ts.")
  double bitflipProb;

  @Option(names = "--bitflip-min-bit", paramLabel = "BIT", defaultValue = "20", description = "Lowest bit a flip may hit (default: ${DEFAULT-VALUE}).")
  int bitflipMinBit;

  @Option(names = "--string-ts-prob", paramLabel = "P", defaultValue = "0", description = "Write ts as a string of digits.")
  double stringTsProb;

  @Option(names = "--bad-prob", paramLabel = "P", defaultValue = "0", description = "A bad line: truncated, not JSON, missing or ill-typed uid/ts, empty.")
  double badProb;

  @Option(names = "--dup-prob", paramLabel = "P", defaultValue = "0", description = "Repeat one of the last few frames.")
  double dupProb;

  @Option(names = "--dialect-prob", paramLabel = "P", defaultValue = "0", description = "JSON edges: whitespace between tokens, CRLF, escaped uid or key.")
  double dialectProb;

  @Option(names = "--all-faults", description = "Shorthand for a little of every fault: -d 20 -p 10 --bitflip-prob 0.001 --string-ts-prob 0.05 --bad-prob 0.01 --dup-prob 0.01 --dialect-prob 0.05 (explicit options win).")
  boolean allFaults;

  @Option(names = "--live", description = "Event time follows the wall clock and lines are paced at -r per second; -c 0 runs until stopped.")
  boolean live;

  /** gzip for .gz (a member per 8 MiB, for parallel inflating), zstd (level 3, with frame checksums) for .zst, else plain. */
  private OutputStream compressed(OutputStream file) throws IOException {
    if (output.endsWith(".gz")) {
      return new BufferedOutputStream(new MemberGzipOutputStream(file), 1 << 16);
    }
    if (output.endsWith(".zst")) {
      try {
        return new BufferedOutputStream(new com.github.luben.zstd.ZstdOutputStream(file, 3).setChecksum(true), 1 << 16);
      } catch (IOException | RuntimeException | LinkageError e) {
        file.close();
        throw e;
      }
    }
    return new BufferedOutputStream(file, 1 << 16);
  }

  @Option(names = {"-o", "--output"}, paramLabel = "PATH", defaultValue = "-", description = "File to write (gzip if it ends in .gz, zstd if in .zst), or - for stdout (default).")
  String output;

  @picocli.CommandLine.Mixin
  KafkaOptions kafkaOptions = new KafkaOptions();

  @Option(names = "--topic", paramLabel = "NAME", description = "Write to this Kafka topic, one frame per record (created if missing, with --partitions).")
  String topic;

  @Option(names = "--partitions", paramLabel = "N", defaultValue = "3", description = "Partitions of a topic created by generate (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--compression", paramLabel = "CODEC", defaultValue = "lz4", description = "Kafka compression: none, lz4, zstd, gzip, snappy (default: ${DEFAULT-VALUE}).")
  String compression;


  GenerateCommand(Job.Streams io) {
    this.io = io;
  }

  @Override
  public Integer call() throws IOException {
    GeneratorOptions o = new GeneratorOptions();
    o.count = count;
    o.ratePerSec = rate;
    o.users = users;
    o.seed = seed;
    o.sizeBytes = size;
    o.delaySec = delay;
    o.delayPercent = delayPercent;
    o.startSec = start;
    o.bitflipProb = bitflipProb;
    o.bitflipMinBit = bitflipMinBit;
    o.stringTsProb = stringTsProb;
    o.badProb = badProb;
    o.dupProb = dupProb;
    o.dialectProb = dialectProb;
    o.live = live;
    if (allFaults) {
      applyAllFaults(o);
    }
    FrameGenerator generator = new FrameGenerator(o);
    if (topic != null || kafkaOptions.given()) {
      if (topic == null) {
        throw UserException.usage("--bootstrap-servers needs --topic");
      }
      KafkaSettings settings = kafkaOptions.settings();
      try (KafkaAdmin admin = new KafkaAdmin(settings, kafkaOptions.timeout())) {
        admin.checkReachable();
        admin.createIfMissing(topic, partitions, java.util.Map.of());
      }
      try (KafkaFrameWriter out = new KafkaFrameWriter(settings, topic, compression)) {
        generator.writeAll(out);
      }
      return 0;
    }
    if (output.equals("-")) {
      OutputStream out = new BufferedOutputStream(io.out(), 1 << 16);
      generator.writeAll(out);
      out.flush();
      return 0;
    }
    OutputStream file;
    try {
      file = Files.newOutputStream(Paths.get(output));
    } catch (java.nio.file.InvalidPathException e) {
      throw UserException.usage("--output " + output + ": not a valid path (" + e.getMessage() + ")");
    } catch (IOException e) {
      throw UserException.failure("--output " + output + ": cannot write (" + e.getMessage() + ")", e);
    }
    try (OutputStream out = compressed(file)) {
      generator.writeAll(out);
    }
    return 0;
  }

  private void applyAllFaults(GeneratorOptions o) {
    if (delay == 0) {
      o.delaySec = 20;
    }
    if (delayPercent == 0) {
      o.delayPercent = 10;
    }
    if (bitflipProb == 0) {
      o.bitflipProb = 0.001;
    }
    if (stringTsProb == 0) {
      o.stringTsProb = 0.05;
    }
    if (badProb == 0) {
      o.badProb = 0.01;
    }
    if (dupProb == 0) {
      o.dupProb = 0.01;
    }
    if (dialectProb == 0) {
      o.dialectProb = 0.05;
    }
  }
}
