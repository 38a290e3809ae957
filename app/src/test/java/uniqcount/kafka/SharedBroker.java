package uniqcount.kafka;

import uniqcount.broker.EmbeddedKafka;

/** One real broker per test JVM, started on first use and stopped when the JVM exits. */
public final class SharedBroker {
  private static EmbeddedKafka broker;

  private SharedBroker() {}

  /** The broker's bootstrap servers. */
  public static synchronized String bootstrapServers() throws Exception {
    if (broker == null) {
      broker = EmbeddedKafka.start(); // stopped by its own shutdown hook when the JVM exits
    }
    return broker.bootstrapServers();
  }

  /** Restarts the broker (SIGTERM, down for {@code down}, then up on the same ports and data). */
  public static synchronized void restart(java.time.Duration down) throws Exception {
    bootstrapServers();
    broker.restart(down);
  }

  /**
   * Creates a topic and waits until every partition has a leader that answers: produced to at
   * once, a partition whose leader is not ready yet answers NOT_LEADER_OR_FOLLOWER, and an
   * idempotent producer's pipelined batches behind the retried one can then stall until
   * delivery.timeout.ms and fail (seen here for 11 of 40 new 6-partition topics; ListOffsets goes
   * to the leader and is retried by the admin client until it answers — after it, 40 of 40 were fine).
   */
  public static void createTopic(String name, int partitions) throws Exception {
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
        java.util.Map.of("bootstrap.servers", bootstrapServers()))) {
      admin.createTopics(java.util.List.of(new org.apache.kafka.clients.admin.NewTopic(name, partitions, (short) 1)))
          .all().get();
      java.util.Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest =
          new java.util.LinkedHashMap<>();
      for (int i = 0; i < partitions; i++) {
        latest.put(new org.apache.kafka.common.TopicPartition(name, i), org.apache.kafka.clients.admin.OffsetSpec.latest());
      }
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (true) {
        try {
          admin.listOffsets(latest).all().get(30, java.util.concurrent.TimeUnit.SECONDS);
          return;
        } catch (java.util.concurrent.ExecutionException e) {
          // the new topic's metadata has not reached the broker's cache yet (UnknownTopicOrPartition)
          if (System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(100);
        }
      }
    }
  }
}
