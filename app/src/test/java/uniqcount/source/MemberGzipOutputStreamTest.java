package uniqcount.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** {@code generate -o x.gz}: a member per so many bytes, read back whole by the JDK's gzip reader and by ours. */
class MemberGzipOutputStreamTest {
  @Test
  void aMemberPerSoManyBytesReadBackAsOneStream() throws IOException {
    SplittableRandom r = new SplittableRandom(1);
    for (int length : new int[] {0, 1, 999, 1000, 1001, 5000, 12_345}) {
      byte[] data = StrictGzipInputStreamTest.text(length, length / 40 + 1);
      data = java.util.Arrays.copyOf(data, length);
      ByteArrayOutputStream gz = new ByteArrayOutputStream();
      try (OutputStream out = new MemberGzipOutputStream(gz, 1000)) {
        for (int at = 0; at < length; ) {
          int n = Math.min(length - at, r.nextInt(1, 700)); // writes of any size, across members
          out.write(data, at, n);
          at += n;
        }
      }
      byte[] bytes = gz.toByteArray();
      assertArrayEquals(data, new GZIPInputStream(new ByteArrayInputStream(bytes)).readAllBytes(), "length " + length);
      StrictGzipInputStream strict = new StrictGzipInputStream(new ByteArrayInputStream(bytes));
      assertArrayEquals(data, strict.readAllBytes(), "length " + length);
      assertEquals(Math.max(1, (length + 999) / 1000), strict.member(), "members for " + length + " bytes");
    }
  }
}
