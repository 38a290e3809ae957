package uniqcount.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import uniqcount.UserException;
import uniqcount.engine.Job;
import uniqcount.serve.FileFollower;

/**
 * {@code uniqcount serve}: reads the results a job publishes — from its results topic or a
 * results file followed as it grows — keeps the latest record of every window and serves a live
 * page of them (a chart of the minutes, tables of hours, days, weeks, months and years) and a
 * JSON API, until Ctrl-C.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Serves a live web page (and a JSON API under /api/) of the results a job publishes:",
      "the latest record of every window, read from a results topic or a results file followed as it grows."
    })
final class ServeCommand implements Callable<Integer> {
  private final Job.Streams io;

  @Option(names = "--topic", paramLabel = "NAME", description = "The results topic to read (all partitions, from the start, then follow).")
  String topic;

  @Mixin
  KafkaOptions kafkaOptions = new KafkaOptions();

  @Option(names = {"-i", "--input"}, paramLabel = "PATH", description = "A results file (JSON lines) to read and follow as it grows, or - for stdin.")
  String input;

  @Option(names = "--http-port", paramLabel = "N", defaultValue = "8080", description = "Port of the page; 0 for any free port (default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(names = "--http-host", paramLabel = "HOST", defaultValue = "127.0.0.1", description = "Address to listen on; 0.0.0.0 for every interface (default: ${DEFAULT-VALUE}).")
  String httpHost;

  ServeCommand(Job.Streams io) {
    this.io = io;
  }

  @Override
  public Integer call() throws Exception {
    if ((topic == null) == (input == null)) {
      throw UserException.usage("give either --topic (with --bootstrap-servers) or --input");
    }
    if (input != null && kafkaOptions.given()) {
      throw UserException.usage("--bootstrap-servers, --kafka-config and -X go with --topic, not --input");
    }
    if (httpPort < 0 || httpPort > 65535) {
      throw UserException.usage("--http-port must be between 0 and 65535, got " + httpPort);
    }
    Thread main = Thread.currentThread();
    CountDownLatch done = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      main.interrupt();
      try {
        done.await(10_000, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "uniqcount-serve-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try (LivePage page = open()) {
      io.out().println("uniqcount: live page at " + page.url());
      io.out().flush();
      Throwable failure;
      try {
        do {
          failure = page.awaitFailure(1_000);
        } while (failure == null);
      } catch (InterruptedException e) {
        return 0; // Ctrl-C, SIGTERM
      }
      throw failure instanceof Exception ? (Exception) failure : new IllegalStateException(failure);
    } finally {
      done.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down already
      }
    }
  }

  private LivePage open() {
    if (topic != null) {
      return LivePage.topic(kafkaOptions.settings(), topic, kafkaOptions.timeout(), httpHost, httpPort);
    }
    FileFollower source = input.equals("-") ? FileFollower.stdin(io.in()) : FileFollower.file(Path.of(input));
    return LivePage.file(source, httpHost, httpPort);
  }
}
