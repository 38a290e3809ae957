package uniqcount.broker;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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
 */
public final class EmbeddedKafka implements AutoCloseable {
  private Process process;
  private final Path dir;
  private final String bootstrapServers;

  private EmbeddedKafka(Process process, Path dir, String bootstrapServers) {
    this.process = process;
    this.dir = dir;
    this.bootstrapServers = bootstrapServers;
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

  /** Starts a broker with its data in a new temporary directory; returns once it answers. */
  public static EmbeddedKafka start() throws IOException, InterruptedException {
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
    EmbeddedKafka kafka = new EmbeddedKafka(launch(dir), dir, "127.0.0.1:" + port);
    try {
      kafka.awaitReady(Duration.ofSeconds(60));
    } catch (IOException | RuntimeException e) {
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
    return new ProcessBuilder(java, "-Xmx512m", "-XX:+ExitOnOutOfMemoryError", "-cp", classpath,
        "kafka.Kafka", dir.resolve("server.properties").toString())
        .redirectErrorStream(true).redirectOutput(log).start();
  }

  /**
   * Stops the broker cleanly (SIGTERM) and starts it again on the same ports and data, as an
   * operator's rolling restart would; returns once it answers. For tests of what clients live through.
   */
  public void restart(Duration down) throws IOException, InterruptedException {
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

  /** Stops the broker (SIGTERM, then SIGKILL after 30 s) and deletes its data. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory: leave it
    }
  }
}
