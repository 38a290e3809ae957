package uniqcount.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;

class LineChunkerTest {

  /** Returns at most a random few bytes per read, as pipes and sockets do. */
  private static InputStream dribble(byte[] data, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    return new FilterInputStream(new java.io.ByteArrayInputStream(data)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, 1 + r.nextInt(23)));
      }
    };
  }

  @Test
  void everyLineArrivesWholeInOrderAndOversizedLinesAreCounted() throws Exception {
    int maxFrame = 40;
    for (long seed = 0; seed < 200; seed++) {
      SplittableRandom r = new SplittableRandom(seed);
      List<String> lines = new ArrayList<>();
      StringBuilder input = new StringBuilder();
      int n = r.nextInt(60);
      for (int i = 0; i < n; i++) {
        int len = r.nextInt(10) == 0 ? 42 + r.nextInt(200) : r.nextInt(41);
        StringBuilder line = new StringBuilder();
        for (int k = 0; k < len; k++) {
          line.append((char) ('a' + r.nextInt(26)));
        }
        lines.add(line.toString());
        input.append(line);
        if (i < n - 1 || r.nextBoolean()) {
          input.append('\n');
        } else if (len == 0) {
          lines.remove(i); // an empty last line without a newline is no line at all
        }
      }
      BlockingQueue<Chunk> pool = new ArrayBlockingQueue<>(4);
      for (int i = 0; i < 3; i++) {
        pool.add(new Chunk(maxFrame + 2));
      }
      List<String> got = new ArrayList<>();
      int[] oversized = {0};
      long[] expectedOffset = {0};
      ByteArrayOutputStream seen = new ByteArrayOutputStream();
      new LineChunker(pool, maxFrame).read(dribble(input.toString().getBytes(StandardCharsets.US_ASCII), seed), 7, chunk -> {
        assertEquals(7, chunk.partition());
        oversized[0] += chunk.oversizedLines();
        assertTrue(chunk.startOffset() >= expectedOffset[0]);
        expectedOffset[0] = chunk.startOffset() + chunk.length();
        seen.write(chunk.data(), 0, chunk.length());
        pool.add(chunk);
      });
      String all = seen.toString(StandardCharsets.US_ASCII);
      if (!all.isEmpty()) {
        for (String l : all.split("\n", -1)) {
          got.add(l);
        }
        if (all.endsWith("\n")) {
          got.remove(got.size() - 1);
        }
      }
      List<String> expected = new ArrayList<>();
      int expectedOversized = 0;
      for (String l : lines) {
        if (l.length() > maxFrame) {
          expectedOversized++;
        } else {
          expected.add(l);
        }
      }
      // A line of exactly maxFrame + 1 bytes fits a chunk and is left to the decoder; none is made here.
      assertEquals(expected, got, "seed " + seed + " input " + input.toString().replace("\n", "|"));
      assertEquals(expectedOversized, oversized[0], "seed " + seed);
    }
  }
}
