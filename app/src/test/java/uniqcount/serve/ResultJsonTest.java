package uniqcount.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import uniqcount.emit.ResultRecord;

/** The strict reader of result records, against Jackson (a full JSON parser) and the records uniqcount writes. */
class ResultJsonTest {
  private static final ObjectMapper JACKSON = new ObjectMapper()
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final String GOOD =
      "{\"window\":\"minute\",\"start\":\"2016-07-11T13:39:00Z\",\"end\":\"2016-07-11T13:40:00Z\",\"uniques\":16193,"
          + "\"frames\":24000,\"status\":\"final\",\"revision\":2,\"counter\":\"hll\",\"rse\":0.008125}";

  @Test
  void everyRecordTheJobWritesReadsBackAsJacksonReadsIt() throws Exception {
    Random random = new Random(14);
    String[] windows = {"minute", "hour", "day", "week", "month", "year"};
    for (int i = 0; i < 2000; i++) {
      long start = 1_400_000_000L + random.nextInt(1 << 28);
      ResultRecord.Status status = ResultRecord.Status.values()[random.nextInt(3)];
      double rse = random.nextBoolean() ? 0 : 1.04 / Math.sqrt(1 << (4 + random.nextInt(15)));
      ResultRecord r = new ResultRecord(windows[random.nextInt(6)], start, start + 1 + random.nextInt(1 << 20),
          random.nextLong() & Long.MAX_VALUE, random.nextInt() & Integer.MAX_VALUE, status, random.nextInt(1000),
          random.nextBoolean() ? "hll" : "exact", rse);
      String json = r.toJson();
      WindowResult w = ResultJson.parse(r.key(), json);
      JsonNode truth = JACKSON.readTree(json);
      assertEquals(truth.get("window").asText(), w.window(), json);
      assertEquals(Instant.parse(truth.get("start").asText()).getEpochSecond(), w.startSec(), json);
      assertEquals(Instant.parse(truth.get("end").asText()).getEpochSecond(), w.endSec(), json);
      assertEquals(truth.get("uniques").asLong(), w.uniques(), json);
      assertEquals(truth.get("frames").asLong(), w.frames(), json);
      assertEquals(truth.get("status").asText(), w.status(), json);
      assertEquals(truth.get("revision").asInt(), w.revision(), json);
      assertEquals(truth.get("counter").asText(), w.counter(), json);
      assertEquals(truth.get("rse").asDouble(), w.rse(), 0.0, json);
      assertEquals(r.key(), w.key());
    }
  }

  @Test
  void whitespaceUnknownFieldsOfAnyShapeAndEscapesAreRead() throws Exception {
    String json = " {\r\n \"extra\" : {\"a\":[1,2,{\"b\":null}],\"c\":\"x\\\"y\"}, \"window\":\"h\\u006fur\",\t\"start\":\"2016-07-11T13:00:00Z\","
        + "\"end\":\"2016-07-11T14:00:00Z\",\"uniques\":0,\"frames\":0,\"status\":\"early\",\"revision\":0,\"more\":[true,false,-1.5e3]}\r";
    WindowResult w = ResultJson.parse(null, json);
    assertEquals("hour", w.window());
    assertEquals(null, w.counter(), "counter and rse are optional");
    assertTrue(Double.isNaN(w.rse()));
  }

  private static void assertForeign(String reason, String key, String text) {
    ResultJson.Foreign f = assertThrows(ResultJson.Foreign.class, () -> ResultJson.parse(key, text), text);
    assertEquals(reason, f.reason(), text + " → " + f.getMessage());
  }

  private static String with(String field, String rawValue) {
    return GOOD.replaceFirst("\"" + field + "\":(\"[^\"]*\"|[^,}]*)", java.util.regex.Matcher.quoteReplacement("\"" + field + "\":" + rawValue));
  }

  @Test
  void foreignRecordsAreRefusedWithTheirReason() throws Exception {
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("", "empty");
    cases.put("   ", "empty");
    cases.put("not json", "not_json");
    cases.put(GOOD.substring(0, GOOD.length() - 9), "not_json");
    cases.put(GOOD + " {}", "not_json");
    cases.put(GOOD.replace("\"window\"", "window"), "not_json");
    cases.put(GOOD.replace(",\"frames\"", ",,\"frames\""), "not_json");
    cases.put(GOOD.replace("}", ",}"), "not_json");
    cases.put(with("window", "\"min\\ute\""), "not_json");
    cases.put(with("window", "\"min\u0001ute\""), "not_json");
    cases.put(with("uniques", "01"), "not_json");
    cases.put(with("uniques", "1."), "not_json");
    cases.put(with("uniques", "+1"), "not_json");
    cases.put(with("uniques", "tru"), "not_json");
    cases.put("[" + GOOD + "]", "not_an_object");
    cases.put("42", "not_an_object");
    cases.put("\"a string\"", "not_an_object");
    cases.put("null", "not_an_object");
    cases.put("{}", "missing_field");
    cases.put(GOOD.replace("\"uniques\":16193,", ""), "missing_field");
    cases.put(GOOD.replace(",\"revision\":2", ""), "missing_field");
    cases.put(with("uniques", "\"16193\""), "wrong_type");
    cases.put(with("frames", "null"), "wrong_type");
    cases.put(with("window", "1"), "wrong_type");
    cases.put(with("start", "1468244340"), "wrong_type");
    cases.put(with("status", "{\"s\":\"final\"}"), "wrong_type");
    cases.put(with("revision", "[2]"), "wrong_type");
    cases.put(with("rse", "\"0.8%\""), "wrong_type");
    cases.put(with("uniques", "16193.5"), "bad_value");
    cases.put(with("uniques", "1.6193e4"), "bad_value");
    cases.put(with("uniques", "-1"), "bad_value");
    cases.put(with("frames", "99999999999999999999999"), "bad_value");
    cases.put(with("revision", "2147483648"), "bad_value");
    cases.put(with("window", "\"fortnight\""), "bad_value");
    cases.put(with("window", "\"<script>alert(1)</script>\""), "bad_value");
    cases.put(with("status", "\"done\""), "bad_value");
    cases.put(with("counter", "\"cms\""), "bad_value");
    cases.put(with("rse", "2"), "bad_value");
    cases.put(with("start", "\"2016-07-11T13:39:00+01:00\""), "bad_value");
    cases.put(with("start", "\"2016-07-11T13:39:00.5Z\""), "bad_value");
    cases.put(with("start", "\"yesterday\""), "bad_value");
    cases.put(with("end", "\"2016-07-11T13:39:00Z\""), "bad_value");
    cases.put(GOOD.replace("{", "{\"uniques\":1,"), "bad_value");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      assertForeign(c.getValue(), null, c.getKey());
      // the differential half: what Jackson cannot read is exactly what is refused as not JSON
      boolean jacksonReads;
      try {
        jacksonReads = !c.getKey().isBlank() && JACKSON.readTree(c.getKey()) != null;
      } catch (Exception e) {
        jacksonReads = false;
      }
      assertEquals(!jacksonReads, c.getValue().equals("not_json") || c.getValue().equals("empty"), c.getKey());
    }
    assertForeign("empty", "minute/2016-07-11T13:39:00Z", null);
    // valid JSON, but nested deeper than any result record: refused before it costs a deep stack
    assertForeign("not_json", null, GOOD.replace("{\"window\"", "{\"x\":" + "[".repeat(100) + "]".repeat(100) + ",\"window\""));
  }

  @Test
  void aKafkaKeyMustBeTheWindowAndStartOfItsValue() throws Exception {
    assertEquals(16193, ResultJson.parse("minute/2016-07-11T13:39:00Z", GOOD).uniques());
    assertForeign("key_mismatch", "minute/2016-07-11T13:38:00Z", GOOD);
    assertForeign("key_mismatch", "hour/2016-07-11T13:39:00Z", GOOD);
  }
}
