package uniqcount.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uniqcount.gen.GeneratorOptions;
import uniqcount.reference.ReferenceCounts;
import uniqcount.reference.GeneratedFrames;

/**
 * {@code count --emit-sketch}: every hll record carries its window's DataSketches image, read
 * back with DataSketches as the independent reference — and, as Druid or Spark would do it, the
 * union of the published daily sketches is the monthly window's published estimate.
 */
class SketchOutputTest {

  /** Three days of frames (one file per day, one history), every fault the generator injects. */
  private static List<Path> threeDays(Path dir, ReferenceCounts reference) throws Exception {
    List<Path> files = new ArrayList<>();
    for (int day = 0; day < 3; day++) {
      // 2016-07-01 01:00 UTC, then the next days
      GeneratorOptions o = GeneratedFrames.withFaults(1_467_331_200L + day * 86_400L + 3_600, 20_000, 100, 6_000,
          90 + day, 300, 10);
      Path f = dir.resolve("day" + day + ".jsonl");
      byte[] frames = GeneratedFrames.bytes(o);
      Files.write(f, frames);
      reference.addLines(frames);
      files.add(f);
    }
    return files;
  }

  @Test
  void publishedSketchesAreDataSketchesImagesAndTheirUnionIsTheMonth(@TempDir Path dir) throws Exception {
    // the generator's true range: bit-flipped timestamps outside it are implausible, not counted
    ReferenceCounts reference = new ReferenceCounts(ZoneId.of("UTC"))
        .range(1_467_331_200L + 3_600 - 10, 1_467_331_200L + 2 * 86_400L + 3_600 + 20_000 / 100 + 1);
    List<Path> files = threeDays(dir, reference);
    List<String> args = new ArrayList<>(List.of("count", "--counter", "hll", "--emit-sketch", "--emit", "final",
        "--threads", "2"));
    for (Path f : files) {
      args.add("-i");
      args.add(f.toString());
    }
    Cli.Run run = Cli.run(args.toArray(new String[0]));
    assertEquals(0, run.exit, run.err);
    Map<String, JsonNode> last = Cli.lastPerWindow(run.out);
    assertEquals(reference.windows.keySet(), last.keySet());

    Union days = new Union(14);
    int dense = 0;
    for (Map.Entry<String, JsonNode> e : last.entrySet()) {
      JsonNode r = e.getValue();
      assertNotNull(r.get("sketch"), e.getKey() + " has no sketch");
      HllSketch s = HllSketch.heapify(Base64.getDecoder().decode(r.get("sketch").asText()));
      assertEquals(14, s.getLgConfigK());
      long uniques = r.get("uniques").asLong();
      int truth = reference.windows.get(e.getKey()).uids.size();
      byte[] image = Base64.getDecoder().decode(r.get("sketch").asText());
      if ((image[7] & 3) == 2) { // HLL mode: registers (isEstimationMode is true for every HLL sketch)
        dense++;
        assertEquals(uniques, Math.round(s.getEstimate()), e.getKey() + ": a dense window's uniques are DataSketches' estimate");
      } else {
        assertEquals(truth, uniques, e.getKey() + ": a small window is counted exactly");
        assertTrue(Math.abs(s.getEstimate() - truth) <= 0.01 * truth + 1, e.getKey() + ": coupons estimate " + s.getEstimate());
      }
      assertTrue(Math.abs(uniques - truth) <= 3 * 0.0081 * truth + 1, e.getKey() + ": within 3 rse of the truth");
      if (e.getKey().startsWith("day/")) {
        days.update(s);
      }
    }
    assertTrue(dense >= 4 && dense < last.size(), "the days, week, month and year are dense, minutes not: " + dense);
    JsonNode month = last.get("month/2016-07-01T00:00:00Z");
    HllSketch union = days.getResult(TgtHllType.HLL_8);
    assertEquals(month.get("uniques").asLong(), Math.round(union.getEstimate()),
        "the union of the daily sketches, read back with DataSketches, is the monthly window's estimate");

    Cli.Run plain = Cli.run("count", "--counter", "hll", "-i", files.get(0).toString());
    assertFalse(plain.out.contains("\"sketch\""), "off by default");
    for (JsonNode r : plain.records()) {
      assertNull(r.get("sketch"));
    }
    Cli.Run exact = Cli.run("count", "--counter", "exact", "--emit-sketch", "-i", files.get(0).toString());
    assertEquals(2, exact.exit);
    assertEquals("uniqcount count: --emit-sketch needs --counter hll (an exact set has no sketch to merge)\n", exact.err);
  }
}
