package uniqcount.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import uniqcount.UserException;

/**
 * The admin calls uniqcount makes before it starts: is the cluster reachable (within a bounded
 * time, with one clear error), does the input topic exist and how many partitions has it, create
 * the output topic (compacted) if missing.
 */
public final class KafkaAdmin implements AutoCloseable {
  private final Admin admin;
  private final String servers;
  private final long timeoutMillis;

  /** An admin client; nothing is contacted yet. */
  public KafkaAdmin(KafkaSettings settings, Duration timeout) {
    this.servers = settings.bootstrapServers();
    this.timeoutMillis = timeout.toMillis();
    int t = (int) Math.min(Integer.MAX_VALUE, timeoutMillis);
    Map<String, Object> config = settings.with(Map.of(
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, t,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, t,
        AdminClientConfig.CLIENT_ID_CONFIG, "uniqcount-admin"));
    this.admin = settings.create("admin client", () -> Admin.create(config));
  }

  /**
   * Checks the cluster answers.
   *
   * @throws UserException "cannot reach Kafka at ..." after the timeout
   */
  public void checkReachable() throws UserException {
    get(() -> admin.describeCluster().clusterId().get(timeoutMillis, TimeUnit.MILLISECONDS), "reach the cluster");
  }

  /**
   * Number of partitions of an existing topic.
   *
   * @throws UserException if the topic does not exist or the cluster does not answer
   */
  public int partitions(String topic) throws UserException {
    try {
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
          .get(timeoutMillis, TimeUnit.MILLISECONDS).get(topic);
      return d.partitions().size();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
        throw unreachable(e);
      }
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        throw UserException.failure("topic '" + topic + "' does not exist on " + servers);
      }
      throw UserException.failure("cannot describe topic '" + topic + "' on " + servers + ": " + e.getCause().getMessage(), e);
    } catch (TimeoutException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw UserException.failure("interrupted", e);
    }
  }

  /**
   * The end offset of every partition of a topic (for progress: what a catch-up has to read); an
   * empty map when the cluster does not answer in time (progress is then not known).
   */
  public Map<Integer, Long> endOffsets(String topic, int partitions) {
    Map<Integer, Long> out = new java.util.HashMap<>();
    try {
      latestOffsets(topic, partitions).forEach((tp, info) -> out.put(tp.partition(), info.offset()));
    } catch (ExecutionException | TimeoutException e) {
      return Map.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Map.of();
    }
    return out;
  }

  /** The latest offset of partitions 0..n-1 of a topic, within the timeout. */
  private Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo>
      latestOffsets(String topic, int n) throws ExecutionException, TimeoutException, InterruptedException {
    Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> query = new java.util.HashMap<>();
    for (int p = 0; p < n; p++) {
      query.put(new org.apache.kafka.common.TopicPartition(topic, p), org.apache.kafka.clients.admin.OffsetSpec.latest());
    }
    return admin.listOffsets(query).all().get(timeoutMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * Waits until every partition of a topic just created answers for its offsets: writing to it at
   * once can meet NOT_LEADER_OR_FOLLOWER, after which an idempotent producer's queued batches
   * wait until they time out (seen on the embedded broker for about one new topic in four).
   */
  private void awaitLeaders(String topic) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (true) {
      try {
        int n = admin.describeTopics(List.of(topic)).allTopicNames().get(timeoutMillis, TimeUnit.MILLISECONDS)
            .get(topic).partitions().size();
        latestOffsets(topic, n);
        return;
      } catch (ExecutionException e) {
        if (System.nanoTime() > deadline) {
          return; // the producers say so, with their own error, if it lasts
        }
        Thread.sleep(100);
      }
    }
  }

  /** Creates a topic unless it exists (and waits until its partitions have leaders); {@code configs} such as {@code cleanup.policy=compact}. */
  public void createIfMissing(String topic, int partitions, Map<String, String> configs) throws UserException {
    try {
      Set<String> names = admin.listTopics().names().get(timeoutMillis, TimeUnit.MILLISECONDS);
      if (names.contains(topic)) {
        return;
      }
      NewTopic t = new NewTopic(topic, partitions <= 0 ? Optional.empty() : Optional.of(partitions), Optional.empty())
          .configs(configs);
      admin.createTopics(List.of(t)).all().get(timeoutMillis, TimeUnit.MILLISECONDS);
      awaitLeaders(topic);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
        throw unreachable(e);
      }
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw UserException.failure("cannot create topic '" + topic + "' on " + servers + ": " + e.getCause().getMessage(), e);
      }
    } catch (TimeoutException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw UserException.failure("interrupted", e);
    }
  }

  private interface Call {
    Object run() throws Exception;
  }

  private void get(Call call, String what) throws UserException {
    try {
      call.run();
    } catch (TimeoutException e) {
      throw unreachable(e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
        throw unreachable(e);
      }
      throw UserException.failure("cannot " + what + " at " + servers + ": " + e.getCause().getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw UserException.failure("interrupted", e);
    } catch (Exception e) {
      throw UserException.failure("cannot " + what + " at " + servers + ": " + e.getMessage(), e);
    }
  }

  private UserException unreachable(Exception e) {
    return UserException.failure("cannot reach Kafka at " + servers + " within " + timeoutMillis / 1000.0
        + " s (check --bootstrap-servers and the network; raise --kafka-timeout if the cluster is slow)", e);
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(2));
  }
}
