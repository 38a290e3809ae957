package uniqcount.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import uniqcount.frame.FrameDecoder;
import uniqcount.reference.GeneratedFrames;

/**
 * bench's Jackson row must do the decoder's job, or the comparison means nothing: on frames with
 * every fault, it accepts exactly the frames our decoder accepts, with the same timestamps.
 */
class JacksonBaselineTest {
  @Test
  void acceptsTheSameFramesWithTheSameTimestampsAsTheDecoder() {
    List<byte[]> lines = GeneratedFrames.lines(GeneratedFrames.withFaults(1_700_000_000L, 20_000, 100, 500, 16, 2048, 30));
    FrameDecoder ours = new FrameDecoder("uid", "ts", 1 << 20, null, false);
    JacksonBaseline jackson = new JacksonBaseline();
    int both = 0;
    int onlyOurs = 0;
    int onlyJackson = 0;
    for (byte[] line : lines) {
      boolean a = ours.decode(line, 0, line.length);
      boolean b = jackson.decode(line, 0, line.length);
      if (a && b) {
        both++;
        assertEquals(ours.timestampSec(), jackson.timestampSec(), new String(line, java.nio.charset.StandardCharsets.UTF_8));
      } else if (a) {
        onlyOurs++;
      } else if (b) {
        onlyJackson++;
      }
    }
    assertTrue(both > 19_000, "both accepted " + both);
    assertEquals(0, onlyJackson, "Jackson accepted frames our decoder rejects");
    assertEquals(0, onlyOurs, "our decoder accepted frames Jackson rejects");
  }
}
