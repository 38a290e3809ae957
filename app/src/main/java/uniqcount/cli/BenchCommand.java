package uniqcount.cli;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import uniqcount.UserException;
import uniqcount.bench.BareConsumer;
import uniqcount.bench.JacksonBaseline;
import uniqcount.broker.EmbeddedKafka;
import uniqcount.engine.Job;
import uniqcount.frame.BlockScanner;
import uniqcount.frame.FrameDecoder;
import uniqcount.gen.FrameGenerator;
import uniqcount.gen.GeneratorOptions;
import uniqcount.kafka.KafkaAdmin;
import uniqcount.kafka.KafkaFrameWriter;
import uniqcount.kafka.KafkaSettings;
import uniqcount.source.MemberGzipOutputStream;

/**
 * {@code uniqcount bench}: how fast this machine runs uniqcount. Generates challenge-shaped frames
 * (or takes a file), measures each JSON decoder path alone on data in memory, then runs {@code
 * count} end to end in child JVMs (so each has its own peak RSS), and prints one table of
 * frames/s, MB/s, peak RSS and the JSON decoder's share. Candidates are interleaved round by round
 * and the median is reported, because a shared machine is noisy.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Measure this machine: each JSON decoder path alone (data in memory, one thread), then 'count' end to end",
        "in child JVMs (file -> results, all six windows). Prints frames/s, MB/s, peak RSS and the decoder's share.",
        "Uses the JVM and options it runs on (bin/uniqcount honours JAVA_HOME)."})
final class BenchCommand implements Callable<Integer> {
  private final Job.Streams io;

  @Option(names = {"-c", "--frames"}, paramLabel = "N", defaultValue = "1000000", description = "Frames to generate, ~2 KB each, to a temporary file (default: ${DEFAULT-VALUE}, ~2 GB; fewer make the end-to-end runs mostly JIT warm-up).")
  long frames;

  @Option(names = {"-i", "--input"}, paramLabel = "FILE", description = "Measure this JSON-lines file instead of generated frames (uncompressed; decode-only reads as much as a third of the heap holds).")
  String input;

  @Option(names = "--threads", paramLabel = "LIST", defaultValue = "1,2", split = ",", description = "Worker threads of the end-to-end runs (default: ${DEFAULT-VALUE}).")
  List<Integer> threads;

  @Option(names = "--counter", paramLabel = "KIND", defaultValue = "hll", description = "Counter of the end-to-end runs (default: ${DEFAULT-VALUE}).")
  String counter;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "5", description = "Decode-only rounds; the median is reported (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--runs", paramLabel = "N", defaultValue = "3", description = "End-to-end runs per configuration; the median is reported (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--decode-only", description = "Skip the end-to-end runs.")
  boolean decodeOnly;

  @Option(names = "--compressed", description = "Also end to end from gzip copies of the same frames (level 6, one member; and a member per 8 MiB, as generate writes) and a zstd (level 3) copy, interleaved with the plain runs (the copies are temporary files).")
  boolean compressed;

  @Option(names = "--keep", description = "Keep the generated file (its path is printed).")
  boolean keep;

  @Option(names = "--kafka", description = "Also from Kafka: start the embedded broker (as demo does), write the frames to a topic of --partitions, "
      + "then time a bare consumer reading it and 'count --topic' (each a child JVM, start to exit; count's --exit-on-idle wait taken off).")
  boolean kafka;

  @Option(names = "--kafka-compression", paramLabel = "CODEC", defaultValue = "lz4", description = "Compression of the --kafka topic's records: none, gzip, snappy, lz4 or zstd (default: ${DEFAULT-VALUE}).")
  String kafkaCompression;

  @Option(names = "--partitions", paramLabel = "N", defaultValue = "2", description = "Partitions of the --kafka topic (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--instances", paramLabel = "LIST", split = ",", description = "With --kafka, also scale-out runs: this many "
      + "'count --threads 1' instances in one group at once, each pinned to a core with taskset where it exists (e.g. 2,3).")
  List<Integer> instances = List.of();

  BenchCommand(Job.Streams io) {
    this.io = io;
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (frames < 1000 || rounds < 1 || runs < 1 || partitions < 1 || threads.stream().anyMatch(t -> t < 1 || t > 256)) {
      throw UserException.usage("--frames must be >= 1000, --rounds, --runs and --partitions >= 1, --threads 1..256");
    }
    if (!KafkaFrameWriter.CODECS.contains(kafkaCompression)) {
      throw UserException.usage("--kafka-compression must be none, gzip, snappy, lz4 or zstd, got '" + kafkaCompression + "'");
    }
    Path file;
    boolean generated = input == null;
    if (generated) {
      file = keep ? Files.createTempFile("uniqcount-bench-", ".jsonl") : temporary(".jsonl");
      io.err().printf(Locale.ROOT, "bench: generating %,d frames to %s%n", frames, file);
      try (OutputStream out = new BufferedOutputStream(overwrite(file), 1 << 16)) {
        new FrameGenerator(benchData(frames)).writeAll(out);
      }
    } else {
      try {
        file = Paths.get(input);
      } catch (java.nio.file.InvalidPathException e) {
        throw UserException.usage("--input " + input + ": not a valid path (" + e.getMessage() + ")");
      }
      if (!Files.isRegularFile(file)) {
        throw UserException.failure("--input " + input + ": not a readable file");
      }
    }
    try {
      BlockScanner auto = BlockScanner.choose(BlockScanner.Choice.AUTO);
      io.out().printf(Locale.ROOT, "uniqcount bench: %s, %.1f MB; JDK %s (%s), %d cores; scanner auto = %s%n",
          generated ? String.format(Locale.ROOT, "%,d generated frames", frames) : file, Files.size(file) / 1e6,
          Runtime.version(), System.getProperty("java.home"), Runtime.getRuntime().availableProcessors(), BlockScanner.name(auto));
      Map<String, Double> decodeRates = decodeOnly(file, auto);
      if (!decodeOnly) {
        endToEnd(file, decodeRates);
      }
      if (kafka) {
        fromKafka(file);
      }
    } finally {
      if (generated && !keep) {
        Files.deleteIfExists(file);
      } else if (generated) {
        io.out().println("kept " + file);
      }
    }
    return 0;
  }

  /** Challenge-shaped: ~2 KB frames, 1,000 per second, 100,000 users, a little of every fault. */
  static GeneratorOptions benchData(long count) {
    GeneratorOptions o = new GeneratorOptions();
    o.count = count;
    o.delaySec = 20;
    o.delayPercent = 0.1;
    o.bitflipProb = 0.0001;
    o.stringTsProb = 0.05;
    o.badProb = 0.001;
    o.dupProb = 0.01;
    o.dialectProb = 0.01;
    return o;
  }

  /** Each decoder path over the frames in memory, one thread; returns frames/s by path. */
  private Map<String, Double> decodeOnly(Path file, BlockScanner auto) throws IOException {
    byte[] data;
    try (InputStream in = Files.newInputStream(file)) {
      // As much as a third of the heap holds (the default launcher heap is 512 MB), at most 1.5 GB.
      long limit = Math.min(1_500_000_000L, Runtime.getRuntime().maxMemory() / 3);
      data = new byte[(int) Math.min(Files.size(file), limit)];
      int n = in.readNBytes(data, 0, data.length);
      if (n < data.length) {
        data = Arrays.copyOf(data, n);
      }
    }
    int[] starts = new int[1024];
    int[] lengths = new int[1024];
    int n = 0;
    for (int p = 0; p < data.length; ) {
      int nl = p;
      while (nl < data.length && data[nl] != '\n') {
        nl++;
      }
      if (nl == data.length) {
        break; // the last, incomplete line of a cut file
      }
      if (n == starts.length) {
        starts = Arrays.copyOf(starts, n * 2);
        lengths = Arrays.copyOf(lengths, n * 2);
      }
      starts[n] = p;
      lengths[n++] = nl - p;
      p = nl + 1;
    }
    long bytes = 0;
    for (int i = 0; i < n; i++) {
      bytes += lengths[i] + 1;
    }
    Map<String, FrameDecoder> paths = new LinkedHashMap<>();
    String autoName = BlockScanner.name(auto);
    paths.put("exact", new FrameDecoder("uid", "ts", 1 << 20, null, false));
    paths.put("swar", new FrameDecoder("uid", "ts", 1 << 20, BlockScanner.choose(BlockScanner.Choice.SWAR), false));
    if (auto != null) {
      paths.put(autoName, new FrameDecoder("uid", "ts", 1 << 20, auto, false));
    }
    BlockScanner autoTrusting = BlockScanner.choose(BlockScanner.Choice.AUTO, true);
    String trustName = BlockScanner.name(autoTrusting) + "+trust";
    paths.put(trustName, new FrameDecoder("uid", "ts", 1 << 20, autoTrusting, true));
    Map<String, double[]> nanos = new LinkedHashMap<>();
    paths.keySet().forEach(k -> nanos.put(k, new double[rounds]));
    JacksonBaseline jackson = new JacksonBaseline();
    nanos.put("jackson", new double[rounds]);
    long sink = 0;
    for (int r = -1; r < rounds; r++) { // round -1 warms up
      long j0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        if (jackson.decode(data, starts[i], lengths[i])) {
          sink += jackson.uidHash() ^ jackson.timestampSec();
        }
      }
      if (r >= 0) {
        nanos.get("jackson")[r] = System.nanoTime() - j0;
      }
      for (Map.Entry<String, FrameDecoder> e : paths.entrySet()) {
        FrameDecoder d = e.getValue();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          if (d.decode(data, starts[i], lengths[i])) {
            sink += d.uidHash() ^ d.timestampSec();
          }
        }
        long t = System.nanoTime() - t0;
        if (r >= 0) {
          nanos.get(e.getKey())[r] = t;
        }
      }
    }
    io.out().printf(Locale.ROOT, "%ndecode only: %,d frames (%.1f MB) in memory, one thread, median of %d rounds (checksum %x)%n",
        n, bytes / 1e6, rounds, sink & 0xfff);
    io.out().printf(Locale.ROOT, "  %-18s %12s %10s %10s%n", "path", "frames/s", "MB/s", "ns/frame");
    Map<String, Double> rates = new HashMap<>();
    for (Map.Entry<String, double[]> e : nanos.entrySet()) {
      double median = medianOf(e.getValue());
      double seconds = median / 1e9;
      rates.put(e.getKey(), n / seconds);
      io.out().printf(Locale.ROOT, "  %-18s %,12.0f %,10.0f %10.0f%n", e.getKey(), n / seconds, bytes / seconds / 1e6, median / n);
    }
    rates.put("auto", rates.get(autoName));
    rates.put("auto+trust", rates.get(trustName));
    return rates;
  }

  /** The command line that starts a child JVM like this one, up to (without) the main class. */
  private static List<String> childJvm() {
    List<String> jvm = new ArrayList<>();
    jvm.add(ProcessHandle.current().info().command().orElse(Paths.get(System.getProperty("java.home"), "bin", "java").toString()));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent")) {
        jvm.add(arg);
      }
    }
    jvm.add("-cp");
    jvm.add(System.getProperty("java.class.path"));
    return jvm;
  }

  /** {@code count} in child JVMs, interleaved; prints the median of each configuration. */
  private void endToEnd(Path file, Map<String, Double> decodeRates) throws IOException, InterruptedException {
    List<String> jvm = childJvm();
    jvm.add(Main.class.getName());
    Map<String, Path> inputs = new LinkedHashMap<>();
    inputs.put("plain", file);
    try {
      if (compressed) {
        inputs.put("gzip", compress(file, ".jsonl.gz", out -> new java.util.zip.GZIPOutputStream(out, 1 << 16)));
        inputs.put("mgzip", compress(file, ".jsonl.gz", out -> new BufferedOutputStream(new MemberGzipOutputStream(out), 1 << 16)));
        inputs.put("zstd", compress(file, ".jsonl.zst", out -> new com.github.luben.zstd.ZstdOutputStream(out, 3)));
      }
      endToEnd(jvm, inputs, decodeRates);
    } finally {
      for (Map.Entry<String, Path> e : inputs.entrySet()) {
        if (!e.getKey().equals("plain")) {
          Files.deleteIfExists(e.getValue());
        }
      }
    }
  }

  /**
   * A new temporary file, deleted when the JVM exits if it was not before: a bench stopped by
   * Ctrl-C left its 2 GB of frames in the temporary directory.
   */
  private static Path temporary(String suffix) throws IOException {
    Path p = Files.createTempFile("uniqcount-bench-", suffix);
    p.toFile().deleteOnExit();
    return p;
  }

  /**
   * Writes over a file that exists, never creating it: on Ctrl-C the JVM deletes the temporary
   * files while this thread still runs, and opening one after that must not make it again (a
   * bench stopped just after it announced its frames file left it, 1 in 15 times).
   */
  private static OutputStream overwrite(Path file) throws IOException {
    return Files.newOutputStream(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
  }

  /** A compressed copy of {@code file} in a temporary file. */
  private Path compress(Path file, String suffix, Compressor compressor) throws IOException {
    Path to = temporary(suffix);
    long t0 = System.nanoTime();
    try (InputStream in = Files.newInputStream(file); OutputStream out = compressor.wrap(overwrite(to))) {
      in.transferTo(out);
    }
    io.err().printf(Locale.ROOT, "bench: %s: %.1f MB (%.1f s to write)%n", to, Files.size(to) / 1e6,
        (System.nanoTime() - t0) / 1e9);
    return to;
  }

  /** Wraps a file's stream in a compressor. */
  private interface Compressor {
    OutputStream wrap(OutputStream out) throws IOException;
  }

  private void endToEnd(List<String> jvm, Map<String, Path> inputs, Map<String, Double> decodeRates)
      throws IOException, InterruptedException {
    List<String[]> configs = new ArrayList<>();
    for (String input : inputs.keySet()) {
      for (int t : threads) {
        configs.add(new String[] {Integer.toString(t), "validate", input});
        configs.add(new String[] {Integer.toString(t), "trust", input});
      }
    }
    Map<String, List<Map<String, String>>> results = new LinkedHashMap<>();
    for (int run = 0; run < runs; run++) {
      for (String[] c : configs) {
        List<String> cmd = new ArrayList<>(jvm);
        cmd.addAll(List.of("count", "--input", inputs.get(c[2]).toString(), "--threads", c[0], "--counter", counter,
            "--stats-interval", "0"));
        if (c[1].equals("trust")) {
          cmd.add("--trust-input");
        }
        results.computeIfAbsent(String.join(" ", c), k -> new ArrayList<>()).add(runCount(cmd));
      }
    }
    io.out().printf(Locale.ROOT, "%nend to end: count --input FILE --counter %s (all six windows, results to a discarded stdout), median of %d runs%n", counter, runs);
    io.out().printf(Locale.ROOT, "  %-7s %-8s %-5s %-18s %12s %9s %8s %12s %13s%n",
        "threads", "mode", "input", "scanner", "frames/s", "MB/s", "rss_mb", "decode_share", "json_vs_alone");
    for (Map.Entry<String, List<Map<String, String>>> e : results.entrySet()) {
      List<Map<String, String>> rs = e.getValue();
      rs.sort((a, b) -> Double.compare(Double.parseDouble(a.get("frames_per_s")), Double.parseDouble(b.get("frames_per_s"))));
      Map<String, String> m = rs.get(rs.size() / 2);
      String[] c = e.getKey().split(" ");
      double fps = Double.parseDouble(m.get("frames_per_s"));
      Double alone = decodeRates.get(c[1].equals("trust") ? "auto+trust" : "auto");
      // Time per frame decoding alone over time per frame per worker thread in the pipeline.
      double jsonShare = alone == null ? Double.NaN : fps / Integer.parseInt(c[0]) / alone;
      io.out().printf(Locale.ROOT, "  %-7s %-8s %-5s %-18s %,12.0f %,9.0f %8s %12s %13.2f%n", c[0], c[1], c[2],
          m.get("scanner"), fps, Double.parseDouble(m.get("mb_per_s")), m.get("peak_rss_mb"), m.get("decode_share"),
          jsonShare);
    }
    io.out().println("  MB/s: of the frames as decoded (uncompressed), whatever the input's form.");
    if (compressed) {
      io.out().println("  gzip: one member, inflated by one thread; mgzip: a member per 8 MiB (generate -o x.gz), inflated side by side.");
    }
    io.out().println("  decode_share: time in the JSON decoder / worker busy time, measured inside the run;");
    io.out().println("  json_vs_alone: (frames/s per thread end to end) / (frames/s decoding alone) = decoding's share of the time per frame.");
  }

  /**
   * A bare consumer against {@code count --topic} on the same topic, interleaved, each a child JVM
   * timed from start to exit; count's idle wait before it exits is taken off its time.
   */
  private void fromKafka(Path file) throws IOException, InterruptedException {
    try (EmbeddedKafka broker = EmbeddedKafka.start()) { // Ctrl-C or kill: it stops the broker at once
      fromKafka(broker, file);
    }
  }

  private void fromKafka(EmbeddedKafka broker, Path file) throws IOException, InterruptedException {
    String topic = "bench-frames";
    KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), null, List.of());
    try (KafkaAdmin admin = new KafkaAdmin(settings, Duration.ofSeconds(15))) {
      admin.createIfMissing(topic, partitions, Map.of("compression.type", "producer"));
    }
    io.err().println("bench: writing the frames to topic " + topic + " (" + kafkaCompression + ")");
    KafkaFrameWriter out = new KafkaFrameWriter(settings, topic, kafkaCompression); // one record per line
    try (out; InputStream in = Files.newInputStream(file)) {
      in.transferTo(out);
    }
    long records = out.records();
    String idle = "1s";
    double idleSeconds = 1.0;
    List<Double> bare = new ArrayList<>();
    Map<String, List<Double>> counted = new LinkedHashMap<>();
    for (int run = 0; run < runs; run++) {
      List<String> cmd = childJvm();
      cmd.addAll(List.of(BareConsumer.class.getName(), broker.bootstrapServers(), topic, Long.toString(records)));
      bare.add(timeChild(cmd));
      for (int t : threads) {
        for (boolean trust : new boolean[] {false, true}) {
          List<String> c = childJvm();
          c.addAll(List.of(Main.class.getName(), "count", "--bootstrap-servers", broker.bootstrapServers(), "--topic", topic,
              "--group", "bench-" + run + "-" + t + "-" + trust, "--exit-on-idle", idle, "--threads", Integer.toString(t),
              "--counter", counter, "--stats-interval", "0"));
          if (trust) {
            c.add("--trust-input");
          }
          String label = "count --threads " + t + (trust ? " --trust-input" : "");
          counted.computeIfAbsent(label, k -> new ArrayList<>()).add(timeChild(c) - idleSeconds);
        }
      }
    }
    Map<Integer, List<Double>> scaled = new LinkedHashMap<>();
    for (int run = 0; run < runs; run++) {
      for (int n : instances) {
        scaled.computeIfAbsent(n, k -> new ArrayList<>())
            .add(timeInstances(n, broker.bootstrapServers(), topic, "bench-scale-" + run + "-" + n, idle) - idleSeconds);
      }
    }
    double bareMedian = medianOf(bare);
    io.out().printf(Locale.ROOT, "%nfrom Kafka: %,d records in %d partitions (%s) on the embedded broker, sharing the cores;"
        + " child JVMs timed start to exit, median of %d runs%n", records, partitions, kafkaCompression, runs);
    io.out().printf(Locale.ROOT, "  %-36s %9s %12s %10s%n", "reader (count: " + idle + " idle wait taken off)", "seconds", "records/s", "vs bare");
    io.out().printf(Locale.ROOT, "  %-36s %9.2f %,12.0f %10s%n", "bare consumer", bareMedian, records / bareMedian, "");
    for (Map.Entry<String, List<Double>> e : counted.entrySet()) {
      double m = medianOf(e.getValue());
      io.out().printf(Locale.ROOT, "  %-36s %9.2f %,12.0f %+9.0f%%%n", e.getKey(), m, records / m, (m / bareMedian - 1) * 100);
    }
    for (Map.Entry<Integer, List<Double>> e : scaled.entrySet()) {
      double m = medianOf(e.getValue());
      int n = e.getKey();
      io.out().printf(Locale.ROOT, "  %-36s %9.2f %,12.0f %+9.0f%%   (%,.0f per instance)%n",
          n + " instances, one group, --threads 1", m, records / m, (m / bareMedian - 1) * 100, records / m / n);
    }
  }

  /**
   * {@code n} instances of {@code count --threads 1} in one group over the topic, started at once
   * (instance i pinned to core i mod cores with taskset, if there is one); seconds until the
   * last one exited (the merging instance ends last, once every partition is counted).
   */
  private double timeInstances(int n, String servers, String topic, String group, String idle)
      throws IOException, InterruptedException {
    boolean taskset = Files.isExecutable(Paths.get("/usr/bin/taskset"));
    int cores = Runtime.getRuntime().availableProcessors();
    List<Process> running = new ArrayList<>();
    List<Path> errs = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      List<String> cmd = new ArrayList<>();
      if (taskset) {
        cmd.addAll(List.of("/usr/bin/taskset", "-c", Integer.toString(i % cores)));
      }
      cmd.addAll(childJvm());
      cmd.addAll(List.of(Main.class.getName(), "count", "--bootstrap-servers", servers, "--topic", topic,
          "--group", group, "--exit-on-idle", idle, "--threads", "1", "--counter", counter, "--stats-interval", "0",
          "--output-topic", group + "-results"));
      Path err = temporary(".err");
      errs.add(err);
      running.add(new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start());
    }
    StringBuilder rss = new StringBuilder();
    try {
      for (int i = 0; i < n; i++) {
        int status = running.get(i).waitFor();
        String stderr = Files.readString(errs.get(i));
        if (status != 0) {
          throw UserException.failure("a scale-out bench instance failed (exit " + status + "):\n" + stderr);
        }
        java.util.regex.Matcher rssMb = java.util.regex.Pattern.compile("peak_rss_mb=(\\d+)").matcher(stderr);
        java.util.regex.Matcher heapMb = java.util.regex.Pattern.compile("peak_heap_mb=(\\d+)").matcher(stderr);
        rss.append(rss.length() == 0 ? "" : " / ").append(rssMb.find() ? rssMb.group(1) : "?")
            .append(" (heap ").append(heapMb.find() ? heapMb.group(1) : "?").append(")");
      }
    } finally {
      running.forEach(Process::destroyForcibly);
      for (Path e : errs) {
        Files.deleteIfExists(e);
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    io.err().printf(Locale.ROOT, "bench: %d instances%s: %.2f s, peak RSS per instance %s MB%n", n,
        taskset ? " (taskset)" : "", seconds, rss);
    return seconds;
  }

  /** Runs a child JVM to its exit (stdout discarded, stderr kept for a failure); returns seconds. */
  private double timeChild(List<String> cmd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Path err = temporary(".err");
    pb.redirectError(err.toFile());
    long t0 = System.nanoTime();
    Process p = pb.start();
    int status = p.waitFor();
    double seconds = (System.nanoTime() - t0) / 1e9;
    String stderr = Files.readString(err);
    Files.deleteIfExists(err);
    if (status != 0) {
      throw UserException.failure("a bench run failed (exit " + status + "): " + String.join(" ", cmd) + "\n" + stderr);
    }
    io.err().printf(Locale.ROOT, "bench: %s: %.2f s%n", cmd.contains("count") ? "count --threads " + cmd.get(cmd.indexOf("--threads") + 1) + (cmd.contains("--trust-input") ? " --trust-input" : "") : "bare consumer", seconds);
    return seconds;
  }

  private static double medianOf(List<Double> values) {
    return medianOf(values.stream().mapToDouble(Double::doubleValue).toArray());
  }

  private static double medianOf(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v[v.length / 2];
  }

  /** Runs one child {@code count} and returns its final stats line as key=value pairs. */
  private Map<String, String> runCount(List<String> cmd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    String done = null;
    StringBuilder all = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        all.append(line).append('\n');
        if (line.startsWith("uniqcount: done ")) {
          done = line.substring("uniqcount: done ".length());
        }
      }
    }
    int status = p.waitFor();
    if (status != 0 || done == null) {
      throw UserException.failure("a bench run failed (exit " + status + "): " + String.join(" ", cmd) + "\n" + all);
    }
    Map<String, String> m = new HashMap<>();
    for (String kv : done.split(" ")) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        m.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    io.err().printf(Locale.ROOT, "bench: %s thread(s)%s, %s: %s frames/s%n", cmd.get(cmd.indexOf("--threads") + 1),
        cmd.contains("--trust-input") ? " trusted" : "", cmd.get(cmd.indexOf("--input") + 1), m.get("frames_per_s"));
    return m;
  }


}
