package uniqcount.broker;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import uniqcount.UserException;

/**
 * A real single-node Kafka broker (KRaft: broker and controller in one process), run as a child
 * process from the official broker jars that the build copies to {@code broker/target/lib}
 * (found through the system property {@code uniqcount.broker.lib}, or {@code
 * UNIQCOUNT_BROKER_LIB}). Used by the integration tests and by {@code uniqcount demo}.
 *
 * <p>Start: format the storage with a fresh cluster id ({@code kafka.tools.StorageTool}), start
 * {@code kafka.Kafka} on two free loopback ports, wait until an admin client gets the cluster id.
 * Stop: SIGTERM (a clean shutdown; a SIGKILLed broker makes the next start wait for its old
 * registration), then the data directory is deleted.
 *
 * <p>Signals: the broker does not get the terminal's (see {@link #detached}); this process stops
 * it, in {@link #close()}, or, when the JVM exits without that (Ctrl-C, SIGTERM), in a shutdown
 * hook once the owner has had the grace given at the start to close it in order.
 */
public final class EmbeddedKafka implements AutoCloseable {
  /** {@code setsid} (util-linux), or null where there is none. */
  static final Path SETSID = Stream.of("/usr/bin/setsid", "/bin/setsid").map(Paths::get)
      .filter(Files::isExecutable).findFirst().orElse(null);

  private volatile Process process;
  private final Path dir;
  private final String bootstrapServers;
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Thread stopAtExit;

  private EmbeddedKafka(Process process, Path dir, String bootstrapServers, Duration grace) {
    this.process = process;
    this.dir = dir;
    this.bootstrapServers = bootstrapServers;
    this.stopAtExit = new Thread(() -> {
      try {
        closed.await(grace.toMillis(), TimeUnit.MILLISECONDS); // the owner's own hook may be stopping its clients
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      close();
    }, "uniqcount-broker-stop");
    try {
      Runtime.getRuntime().addShutdownHook(stopAtExit);
    } catch (IllegalStateException e) { // the JVM began to exit while the broker was launched
      closed.countDown();
      process.destroy();
      delete(dir);
      throw e;
    }
  }

  /** Where the broker jars are. */
  public static Path brokerLib() throws UserException {
    String p = System.getProperty("uniqcount.broker.lib", System.getenv("UNIQCOUNT_BROKER_LIB"));
    if (p == null) {
      throw UserException.failure("no Kafka broker jars: run through bin/uniqcount, or set UNIQCOUNT_BROKER_LIB");
    }
    Path lib = Paths.get(p);
    try (Stream<Path> files = Files.list(lib)) {
      if (files.noneMatch(f -> f.getFileName().toString().startsWith("kafka_2.13-"))) {
        throw UserException.failure("no Kafka broker jars in " + lib + " (build them: mvn -q -DskipTests package)");
      }
    } catch (IOException e) {
      throw UserException.failure("no Kafka broker jars in " + lib + " (build them: mvn -q -DskipTests package)", e);
    }
    return lib;
  }

  /**
   * Starts a broker with its data in a new temporary directory; returns once it answers. If the
   * JVM exits before {@link #close()}, the broker is stopped at once.
   */
  public static EmbeddedKafka start() throws IOException, InterruptedException {
    return start(Duration.ZERO);
  }

  /**
   * As {@link #start()}; {@code grace}: if the JVM exits before {@link #close()}, how long the
   * owner's own shutdown has to stop its clients and close the broker before it is stopped anyway.
   */
  public static EmbeddedKafka start(Duration grace) throws IOException, InterruptedException {
    Path lib = brokerLib();
    Path dir = Files.createTempDirectory("uniqcount-kafka-");
    int port = freePort();
    int controllerPort = freePort();
    Path props = dir.resolve("server.properties");
    Files.writeString(props, String.join("\n",
        "process.roles=broker,controller",
        "node.id=1",
        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs=" + dir.resolve("data"),
        "num.partitions=1",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=3",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "transaction.state.log.num.partitions=3",
        "group.initial.rebalance.delay.ms=0",
        "log.cleaner.dedupe.buffer.size=8388608",
        ""), StandardCharsets.UTF_8);
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = lib + File.separator + "*";
    Process format = new ProcessBuilder(java, "-cp", classpath, "kafka.tools.StorageTool", "format",
        "-t", Uuid.randomUuid().toString(), "-c", props.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("format.log").toFile()).start();
    if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
      format.destroyForcibly();
      throw UserException.failure("cannot format Kafka storage: " + tail(dir.resolve("format.log")));
    }
    EmbeddedKafka kafka = new EmbeddedKafka(launch(dir), dir, "127.0.0.1:" + port, grace);
    try {
      kafka.awaitReady(Duration.ofSeconds(60));
    } catch (IOException | InterruptedException | RuntimeException e) { // interrupted: Ctrl-C while it starts
      kafka.close();
      throw e;
    }
    return kafka;
  }

  /** Starts the broker process over the data and settings in {@code dir}. */
  private static Process launch(Path dir) throws IOException {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = brokerLib() + File.separator + "*";
    ProcessBuilder.Redirect log = ProcessBuilder.Redirect.appendTo(dir.resolve("broker.log").toFile());
    return new ProcessBuilder(detached(List.of(java, "-Xmx512m", "-XX:+ExitOnOutOfMemoryError", "-cp", classpath,
        "kafka.Kafka", dir.resolve("server.properties").toString()), SETSID))
        .redirectErrorStream(true).redirectOutput(log).start();
  }

  /**
   * {@code command} out of reach of the terminal's signals: only this process stops the broker
   * ({@link #close()}). A Ctrl-C goes to the whole foreground process group; a broker that stopped
   * on it at the same time as the program using it left that program's Kafka clients failing (the
   * demo printed "The producer closed forcefully" after waiting ~15 s) instead of stopping cleanly.
   * With {@code setsid}, the broker runs in a session of its own (no Ctrl-C, Ctrl-\, hang-up or
   * signal to the group reaches it); without it, through {@code /bin/sh}, it ignores SIGINT, which
   * the JVM then leaves ignored. The process started is still the broker itself: both exec it.
   */
  static List<String> detached(List<String> command, Path setsid) {
    List<String> cmd = new ArrayList<>();
    if (setsid != null) {
      cmd.add(setsid.toString());
    } else if (Files.isExecutable(Paths.get("/bin/sh"))) {
      cmd.addAll(List.of("/bin/sh", "-c", "trap '' INT; exec \"$0\" \"$@\""));
    }
    cmd.addAll(command);
    return cmd;
  }

  /**
   * Stops the broker cleanly (SIGTERM) and starts it again on the same ports and data, as an
   * operator's rolling restart would; returns once it answers. For tests of what clients live through.
   */
  public synchronized void restart(Duration down) throws IOException, InterruptedException {
    if (closed.getCount() == 0) {
      throw new IllegalStateException("the broker was closed");
    }
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    Thread.sleep(down.toMillis());
    process = launch(dir);
    awaitReady(Duration.ofSeconds(60));
  }

  private void awaitReady(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int port = Integer.parseInt(bootstrapServers.substring(bootstrapServers.lastIndexOf(':') + 1));
    while (true) {
      try {
        new java.net.Socket("127.0.0.1", port).close();
        break;
      } catch (IOException e) {
        if (!process.isAlive()) {
          throw UserException.failure("the Kafka broker stopped: " + tail(dir.resolve("broker.log")));
        }
        if (System.nanoTime() > deadline) {
          throw UserException.failure("the Kafka broker did not start within " + timeout.toSeconds() + " s: "
              + tail(dir.resolve("broker.log")));
        }
        Thread.sleep(100);
      }
    }
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000))) {
      while (true) {
        if (!process.isAlive()) {
          throw UserException.failure("the Kafka broker stopped: " + tail(dir.resolve("broker.log")));
        }
        try {
          admin.describeCluster().clusterId().get(2, TimeUnit.SECONDS);
          admin.listTopics().names().get(2, TimeUnit.SECONDS);
          return;
        } catch (Exception e) {
          if (System.nanoTime() > deadline) {
            throw UserException.failure("the Kafka broker did not start within " + timeout.toSeconds() + " s: "
                + tail(dir.resolve("broker.log")));
          }
          Thread.sleep(200);
        }
      }
    }
  }

  private static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  /** {@code 127.0.0.1:port}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The broker's process id. */
  long pid() {
    return process.pid();
  }

  /** Stops the broker (SIGTERM, then SIGKILL after 30 s) and deletes its data; again: nothing. */
  @Override
  public synchronized void close() {
    if (closed.getCount() == 0) {
      return;
    }
    if (Thread.currentThread() != stopAtExit) {
      try {
        Runtime.getRuntime().removeShutdownHook(stopAtExit);
      } catch (IllegalStateException e) {
        // the JVM is exiting: the hook waits for this close
      }
    }
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    delete(dir);
    closed.countDown();
  }

  private static void delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory: leave it
    }
  }
}
