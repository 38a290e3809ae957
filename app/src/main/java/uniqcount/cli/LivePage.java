package uniqcount.cli;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import uniqcount.UserException;
import uniqcount.kafka.KafkaSettings;
import uniqcount.kafka.ResultTopicReader;
import uniqcount.serve.FileFollower;
import uniqcount.serve.PageServer;
import uniqcount.serve.ResultStore;

/**
 * The running parts of {@code serve}: a source of result records (a topic or a followed file)
 * read on its own thread into a {@link ResultStore}, and the {@link PageServer} showing it. Used
 * by {@code serve} and {@code demo}.
 */
final class LivePage implements AutoCloseable {
  private final ResultStore store;
  private final PageServer server;
  private final AutoCloseable source;
  private final Thread reader;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  private interface Reading {
    void run() throws Exception;
  }

  private LivePage(ResultStore store, PageServer server, AutoCloseable source, Reading reading, String onEnd) {
    this.store = store;
    this.server = server;
    this.source = source;
    this.reader = new Thread(() -> {
      try {
        reading.run();
        if (onEnd != null) {
          store.source(onEnd);
        }
      } catch (InterruptedException e) {
        // stopping
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
      }
    }, "uniqcount-serve-read");
    reader.setDaemon(true);
  }

  /**
   * Checks the topic, listens, then reads the topic from its start and follows it.
   *
   * @throws UserException a missing topic, an unreachable cluster, an address that cannot be listened on
   */
  static LivePage topic(KafkaSettings settings, String topic, Duration timeout, String host, int port) {
    ResultTopicReader source = new ResultTopicReader(settings, topic, timeout);
    ResultStore store = new ResultStore();
    store.source("topic " + topic + " (" + source.partitions() + (source.partitions() == 1 ? " partition)" : " partitions)")
        + " on " + settings.bootstrapServers());
    PageServer server;
    try {
      server = PageServer.start(store, host, port);
    } catch (RuntimeException e) {
      source.close();
      source.run((k, v) -> { }); // closes the consumer: woken at once
      throw e;
    }
    LivePage page = new LivePage(store, server, source, () -> source.run(store::offer), null);
    page.reader.start();
    return page;
  }

  /** Listens, then reads the file (or standard input) and follows it as it grows. */
  static LivePage file(FileFollower source, String host, int port) {
    ResultStore store = new ResultStore();
    store.source(source.describe());
    PageServer server = PageServer.start(store, host, port);
    LivePage page = new LivePage(store, server, source, () -> source.run(store::offerLine),
        source.describe() + " (ended)");
    page.reader.start();
    return page;
  }

  /** The page's address. */
  String url() {
    return server.url();
  }

  /** The store behind the page. */
  ResultStore store() {
    return store;
  }

  /** Waits up to {@code millis} for the reader to fail; returns its failure, or null. */
  Throwable awaitFailure(long millis) throws InterruptedException {
    if (reader.isAlive()) {
      reader.join(millis);
    } else {
      Thread.sleep(millis); // the input ended (stdin): the page stays up until stopped
    }
    return reader.isAlive() ? null : failure.get();
  }

  @Override
  public void close() {
    try {
      source.close();
    } catch (Exception e) {
      // stopping anyway
    }
    server.close();
    try {
      reader.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
