package uniqcount.kafka;

import uniqcount.broker.EmbeddedKafka;

/** One real broker per test JVM, started on first use and stopped when the JVM exits. */
public final class SharedBroker {
  private static EmbeddedKafka broker;

  private SharedBroker() {}

  /** The broker's bootstrap servers. */
  public static synchronized String bootstrapServers() throws Exception {
    if (broker == null) {
      broker = EmbeddedKafka.start();
      EmbeddedKafka b = broker;
      Runtime.getRuntime().addShutdownHook(new Thread(b::close, "test-broker-stop"));
    }
    return broker.bootstrapServers();
  }
}
