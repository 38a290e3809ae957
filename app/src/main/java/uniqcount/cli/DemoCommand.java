package uniqcount.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import uniqcount.UserException;
import uniqcount.broker.EmbeddedKafka;
import uniqcount.count.CounterSpec;
import uniqcount.engine.Job;
import uniqcount.engine.JobConfig;
import uniqcount.gen.FrameGenerator;
import uniqcount.gen.GeneratorOptions;
import uniqcount.kafka.KafkaAdmin;
import uniqcount.kafka.KafkaFrameWriter;
import uniqcount.kafka.KafkaSettings;
import uniqcount.window.Clock;

/**
 * {@code uniqcount demo}: with no setup at all, starts a real local Kafka broker, generates a
 * live stream into topic {@code frames} (with late, bit-flipped and broken frames), counts it
 * into the compacted topic {@code results}, and shows the latest results as a table refreshed in
 * place and on the live page of {@code serve} (its URL printed at start), until Ctrl-C; then stops
 * everything and deletes the broker's data.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Starts a local Kafka broker, generates a live stream, counts it and shows the results live. Ctrl-C stops it.")
final class DemoCommand implements Callable<Integer> {
  private static final String FRAMES = "frames";
  private static final String RESULTS = "results";
  /** How long a Ctrl-C waits for the demo to stop in order (the count finishing, the broker closed). */
  private static final long STOP_WAIT_MS = 30_000;

  private final Job.Streams io;

  @Option(names = {"-r", "--rate"}, paramLabel = "N", defaultValue = "2000", description = "Frames per second (default: ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = {"-n", "--users"}, paramLabel = "N", defaultValue = "50000", description = "Distinct users (default: ${DEFAULT-VALUE}).")
  int users;

  @Option(names = "--partitions", paramLabel = "N", defaultValue = "3", description = "Partitions of the frames topic (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--counter", paramLabel = "KIND", defaultValue = "hll", description = "hll or exact (default: ${DEFAULT-VALUE}).")
  String counter;

  @Option(names = "--duration", paramLabel = "DURATION", description = "Stop by itself after this long (default: run until Ctrl-C).")
  String duration;

  @Option(names = "--http-port", paramLabel = "N", defaultValue = "0", description = "Port of the live page on 127.0.0.1 (default: any free port).")
  int httpPort;

  DemoCommand(Job.Streams io) {
    this.io = io;
  }

  @Override
  public Integer call() throws Exception {
    Duration runFor = duration == null ? null : Durations.parse("--duration", duration);
    if (rate < 1 || users < 1 || partitions < 1) {
      throw UserException.usage("--rate, --users and --partitions must be at least 1");
    }
    if (httpPort < 0 || httpPort > 65535) {
      throw UserException.usage("--http-port must be between 0 and 65535, got " + httpPort);
    }
    CounterSpec spec = counterSpec();
    io.err().println("uniqcount demo: starting a local Kafka broker ...");
    Thread main = Thread.currentThread();
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread hook = new Thread(() -> {
      stop.set(true);
      main.interrupt();
      try {
        done.await(STOP_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "uniqcount-demo-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      runWithBroker(stop, runFor, spec);
      io.err().println("uniqcount demo: stopped; the broker is shut down and its data deleted");
    } finally {
      done.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // already shutting down
      }
    }
    return 0;
  }

  private void runWithBroker(java.util.concurrent.atomic.AtomicBoolean stop, Duration runFor, CounterSpec spec)
      throws Exception {
    // on Ctrl-C the shutdown hook above stops the demo in order, then this closes the broker
    try (EmbeddedKafka kafka = EmbeddedKafka.start(Duration.ofMillis(STOP_WAIT_MS + 5_000))) {
      KafkaSettings settings = KafkaSettings.of(kafka.bootstrapServers(), null, List.of());
      try (KafkaAdmin admin = new KafkaAdmin(settings, Duration.ofSeconds(15))) {
        admin.createIfMissing(FRAMES, partitions, Map.of("compression.type", "producer"));
        // made here, as the count would make it, so that the page can read it from the start
        admin.createIfMissing(RESULTS, 0, Map.of("cleanup.policy", "compact"));
      }
      try (LivePage page = LivePage.topic(settings, RESULTS, Duration.ofSeconds(15), "127.0.0.1", httpPort)) {
        io.err().println("uniqcount: live page at " + page.url());
        countAndShow(stop, runFor, spec, kafka, settings, page.url());
      }
    }
  }

  private void countAndShow(java.util.concurrent.atomic.AtomicBoolean stop, Duration runFor, CounterSpec spec,
      EmbeddedKafka kafka, KafkaSettings settings, String url) throws Exception {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread generator = startGenerator(settings, failure);
    Job job = new Job(JobConfig.builder()
        .kafka(settings, Duration.ofSeconds(15))
        .topic(FRAMES, "uniqcount-demo", JobConfig.StartPosition.EARLIEST, null)
        .output(new JobConfig.Output(false, null, RESULTS))
        .counter(spec)
        .statsInterval(Duration.ZERO)
        .build(), io, Clock.SYSTEM);
    TableSink table = new TableSink();
    job.withSink(table);
    Thread counting = new Thread(() -> {
      try {
        job.run();
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
      }
    }, "uniqcount-demo-count");
    counting.start();
    long started = System.nanoTime();
    boolean tty = System.console() != null;
    try {
      while (!stop.get() && failure.get() == null && counting.isAlive()) {
        show(table, job, kafka, url, tty);
        if (runFor != null && System.nanoTime() - started >= runFor.toNanos()) {
          break;
        }
        Thread.sleep(1000);
      }
    } catch (InterruptedException e) {
      // Ctrl-C
    }
    Thread.interrupted();
    io.err().println("uniqcount demo: stopping ...");
    generator.interrupt();
    generator.join(10_000);
    job.requestStop();
    counting.join(30_000);
    show(table, job, kafka, url, false);
    Throwable f = failure.get();
    if (f != null) {
      throw f instanceof Exception ? (Exception) f : new IllegalStateException(f);
    }
  }

  private CounterSpec counterSpec() {
    switch (counter.toLowerCase(java.util.Locale.ROOT)) {
      case "hll":
        return CounterSpec.hll(CounterSpec.DEFAULT_PRECISION);
      case "exact":
        return CounterSpec.exact();
      default:
        throw UserException.usage("--counter must be hll or exact, got '" + counter + "'");
    }
  }

  private Thread startGenerator(KafkaSettings settings, AtomicReference<Throwable> failure) {
    GeneratorOptions o = new GeneratorOptions();
    o.live = true;
    o.count = 0;
    o.ratePerSec = rate;
    o.users = users;
    o.seed = System.nanoTime();
    o.delaySec = 90;
    o.delayPercent = 2;
    o.bitflipProb = 0.0005;
    o.stringTsProb = 0.05;
    o.badProb = 0.001;
    o.dupProb = 0.001;
    o.dialectProb = 0.01;
    Thread t = new Thread(() -> {
      OutputStream out = new KafkaFrameWriter(settings, FRAMES, "lz4");
      try {
        new FrameGenerator(o).writeAll(out);
      } catch (org.apache.kafka.common.errors.InterruptException e) {
        // stopped while waiting for the producer: normal
      } catch (IOException | RuntimeException e) {
        failure.compareAndSet(null, e);
      } finally {
        Thread.interrupted(); // stopping is by interrupt; let the producer close cleanly
        try {
          out.close();
        } catch (IOException | RuntimeException e) {
          // the demo is stopping
        }
      }
    }, "uniqcount-demo-generate");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private void show(TableSink table, Job job, EmbeddedKafka kafka, String url, boolean inPlace) {
    StringBuilder sb = new StringBuilder();
    if (inPlace) {
      sb.append("\033[H\033[2J");
    }
    sb.append("uniqcount demo · Kafka ").append(kafka.bootstrapServers())
        .append(" · topic ").append(FRAMES).append(" (").append(partitions).append(" partitions) → ")
        .append(RESULTS).append(" (compacted)\n");
    sb.append("live stream: ").append(rate).append(" frames/s, ").append(users)
        .append(" users, 2% up to 90 s late, bit flips, broken frames · Ctrl-C to stop\n");
    sb.append("live page: ").append(url).append("\n\n");
    for (String line : table.render()) {
      sb.append(line).append('\n');
    }
    sb.append('\n').append(job.statsLine().replace(" rejected_by_reason", "\nrejected_by_reason")).append('\n');
    io.out().print(sb);
    io.out().flush();
  }
}
