package uniqcount.gen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FrameGeneratorTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static byte[] generate(GeneratorOptions o) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new FrameGenerator(o).writeAll(out);
    return out.toByteArray();
  }

  @Test
  void sameSeedSameBytesOtherSeedOtherBytes() throws IOException {
    GeneratorOptions a = new GeneratorOptions();
    a.count = 2000;
    a.badProb = 0.1;
    a.dupProb = 0.1;
    a.dialectProb = 0.1;
    GeneratorOptions b = new GeneratorOptions();
    b.count = 2000;
    b.badProb = 0.1;
    b.dupProb = 0.1;
    b.dialectProb = 0.1;
    assertArrayEquals(generate(a), generate(b));
    b.seed = 2;
    assertFalse(java.util.Arrays.equals(generate(a), generate(b)));
  }

  @Test
  void framesLookLikeTheChallengeGenerators() throws IOException {
    GeneratorOptions o = new GeneratorOptions();
    o.count = 3000;
    o.ratePerSec = 100;
    o.users = 500;
    String[] lines = new String(generate(o), StandardCharsets.UTF_8).split("\n");
    assertEquals(3000, lines.length);
    long bytes = 0;
    int nestedDecoys = 0;
    int uidFirstFive = 0;
    Set<String> users = new HashSet<>();
    for (int i = 0; i < lines.length; i++) {
      bytes += lines[i].getBytes(StandardCharsets.UTF_8).length;
      JsonNode root = JSON.readTree(lines[i]);
      assertTrue(root.get("uid").isTextual());
      assertEquals(19, root.get("uid").asText().length());
      assertEquals(o.startSec + i / 100, root.get("ts").asLong());
      users.add(root.get("uid").asText());
      if (lines[i].indexOf("\"uid\"") != lines[i].lastIndexOf("\"uid\"")) {
        nestedDecoys++;
      }
      int pos = 0;
      for (java.util.Iterator<String> it = root.fieldNames(); it.hasNext(); pos++) {
        if (it.next().equals("uid")) {
          break;
        }
      }
      if (pos < 6) {
        uidFirstFive++;
      }
    }
    double mean = bytes / (double) lines.length;
    assertTrue(mean > 1900 && mean < 2200, "mean frame size " + mean);
    assertTrue(nestedDecoys > 300, "frames with nested uid decoys: " + nestedDecoys);
    assertTrue(uidFirstFive > 2400 && uidFirstFive < 3000, "uid among the first keys: " + uidFirstFive);
    assertTrue(users.size() > 490 && users.size() <= 500, "users " + users.size());
  }

  @Test
  void delaysMoveTsBackWithinTheBound() throws IOException {
    GeneratorOptions o = new GeneratorOptions();
    o.count = 5000;
    o.ratePerSec = 1;
    o.delaySec = 20;
    o.delayPercent = 10;
    o.sizeBytes = 200;
    String[] lines = new String(generate(o), StandardCharsets.UTF_8).split("\n");
    int delayed = 0;
    for (int i = 0; i < lines.length; i++) {
      long lag = o.startSec + i - JSON.readTree(lines[i]).get("ts").asLong();
      assertTrue(lag >= 0 && lag <= 20, "lag " + lag);
      if (lag > 0) {
        delayed++;
      }
    }
    assertTrue(delayed > 400 && delayed < 600, "delayed " + delayed);
  }
}
