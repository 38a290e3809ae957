package uniqcount.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import uniqcount.cli.Cli;
import uniqcount.cli.ServeRun;
import uniqcount.gen.GeneratorOptions;
import uniqcount.reference.ReferenceCounts;
import uniqcount.reference.GeneratedFrames;

/** {@code uniqcount serve} reading the results topic of a real job on a real broker. */
class ServeKafkaTest {
  private static final String[] KINDS = {"minute", "hour", "day", "week", "month", "year"};

  private static void produce(String topic, List<String[]> keyValues) throws Exception {
    try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBroker.bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()))) {
      for (String[] kv : keyValues) {
        p.send(new ProducerRecord<>(topic, kv[0], kv[1])).get();
      }
    }
  }

  /** Every window the API holds, by key. */
  static Map<String, JsonNode> served(ServeRun serve) throws Exception {
    Map<String, JsonNode> all = new TreeMap<>();
    JsonNode windows = serve.json("/api/windows?limit=100000").get("windows");
    for (String kind : KINDS) {
      for (JsonNode r : windows.get(kind)) {
        all.put(r.get("key").asText(), r);
      }
    }
    return all;
  }

  @Test
  void theResultsOfARealJobAreServedAsTheReferenceCountsThem() throws Exception {
    GeneratorOptions o = new GeneratorOptions();
    o.startSec = Instant.parse("2020-02-28T23:57:10Z").getEpochSecond();
    o.count = 6000;
    o.ratePerSec = 20;
    o.users = 800;
    o.sizeBytes = 300;
    o.seed = 41;
    o.delaySec = 10;
    o.delayPercent = 5;
    o.badProb = 0.01;
    o.dupProb = 0.01;
    byte[] frames = GeneratedFrames.bytes(o);
    ReferenceCounts reference = GeneratedFrames.reference(o, frames);

    SharedBroker.createTopic("serve-frames", 2);
    List<String[]> lines = new ArrayList<>();
    for (String l : new String(frames, java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
      lines.add(new String[] {null, l});
    }
    produce("serve-frames", lines);
    Cli.Run count = Cli.run("count", "--bootstrap-servers", SharedBroker.bootstrapServers(), "--topic", "serve-frames",
        "--output-topic", "serve-results", "--counter", "exact", "--exit-on-idle", "3s", "--stats-interval", "0");
    assertEquals(0, count.exit, count.err);

    try (ServeRun serve = new ServeRun("--bootstrap-servers", SharedBroker.bootstrapServers(), "--topic", "serve-results",
        "--http-port", "0")) {
      serve.awaitJson("/api/windows", j -> {
        try {
          Map<String, JsonNode> s = served(serve);
          return s.keySet().equals(reference.windows.keySet())
              && s.values().stream().allMatch(r -> r.get("status").asText().equals("final"));
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      Map<String, JsonNode> s = served(serve);
      reference.windows.forEach((key, truth) -> {
        assertEquals(truth.uids.size(), s.get(key).get("uniques").asLong(), key);
        assertEquals(truth.frames, s.get(key).get("frames").asLong(), key);
      });
      assertEquals(0, serve.json("/api/windows").get("stats").get("foreign").asLong());

      // a foreign record, a record re-read at its revision, and a newer one
      JsonNode day = s.get("day/2020-02-29T00:00:00Z");
      String again = "{\"window\":\"day\",\"start\":\"2020-02-29T00:00:00Z\",\"end\":\"2020-03-01T00:00:00Z\",\"uniques\":1,"
          + "\"frames\":1,\"status\":\"final\",\"revision\":" + day.get("revision").asInt() + ",\"counter\":\"exact\",\"rse\":0}";
      String newer = again.replace("\"uniques\":1,", "\"uniques\":" + (day.get("uniques").asLong() + 1) + ",")
          .replace("\"revision\":" + day.get("revision").asInt(), "\"revision\":" + (day.get("revision").asInt() + 1))
          .replace("final", "update");
      produce("serve-results", List.of(new String[] {"x", "this is not a result"}, new String[] {"day/2020-02-29T00:00:00Z", again},
          new String[] {"day/2020-02-29T00:00:00Z", newer}));
      JsonNode after = serve.awaitJson("/api/windows?window=day", j -> j.get("stats").get("foreign").asLong() == 1
          && j.get("windows").get("day").get(0).get("status").asText().equals("update"));
      assertEquals(day.get("uniques").asLong() + 1, after.get("windows").get("day").get(0).get("uniques").asLong());
      assertEquals(1, after.get("stats").get("foreignByReason").get("not_json").asLong());
      assertFalse(after.get("stats").get("stale").asLong() == 0, "the repeated revision was ignored");
      assertEquals(0, serve.stop(), serve.err());
    }
  }

  @Test
  void aMissingResultsTopicIsOneClearLine() throws Exception {
    Cli.Run r = Cli.run("serve", "--bootstrap-servers", SharedBroker.bootstrapServers(), "--topic", "no-such-results",
        "--http-port", "0", "--kafka-timeout", "10s");
    assertEquals(1, r.exit);
    assertEquals("uniqcount serve: topic 'no-such-results' does not exist on " + SharedBroker.bootstrapServers() + "\n", r.err);
  }
}
