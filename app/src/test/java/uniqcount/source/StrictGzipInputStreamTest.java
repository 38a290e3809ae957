package uniqcount.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;
import org.junit.jupiter.api.Test;

/**
 * Whole, intact gzip only: the same bytes as the JDK's reader (and as {@code gzip -d}) for valid
 * single- and multi-member data with every optional header field, and an error — never a quiet
 * end — for a damaged later member, trailing garbage, a corrupt CRC or length, and every truncation.
 */
class StrictGzipInputStreamTest {
  static byte[] text(long seed, int lines) {
    SplittableRandom r = new SplittableRandom(seed);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < lines; i++) {
      sb.append("{\"uid\":\"u").append(r.nextInt(1000)).append("\",\"ts\":").append(1_468_244_384 + i).append("}\n");
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  /** A member with a hand-made header: {@code flags} among FHCRC 2, FEXTRA 4, FNAME 8, FCOMMENT 16. */
  static byte[] member(byte[] data, int flags) {
    return member(data, flags, Deflater.DEFAULT_COMPRESSION);
  }

  /** As {@link #member(byte[], int)}, deflated at {@code level} (0: stored, so the data's bytes appear as they are). */
  static byte[] member(byte[] data, int flags, int level) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, (byte) flags, 1, 2, 3, 4, 0, 3});
    if ((flags & 4) != 0) {
      out.writeBytes(new byte[] {5, 0, 'a', 'b', 'c', 'd', 'e'});
    }
    if ((flags & 8) != 0) {
      out.writeBytes("frames.jsonl\0".getBytes(StandardCharsets.ISO_8859_1));
    }
    if ((flags & 16) != 0) {
      out.writeBytes("a comment\0".getBytes(StandardCharsets.ISO_8859_1));
    }
    if ((flags & 2) != 0) {
      CRC32 header = new CRC32();
      header.update(out.toByteArray());
      long h = header.getValue();
      out.writeBytes(new byte[] {(byte) h, (byte) (h >> 8)});
    }
    Deflater d = new Deflater(level, true);
    d.setInput(data);
    d.finish();
    byte[] chunk = new byte[1 << 16];
    while (!d.finished()) {
      out.write(chunk, 0, d.deflate(chunk));
    }
    d.end();
    CRC32 crc = new CRC32();
    crc.update(data);
    long c = crc.getValue();
    long n = data.length;
    out.writeBytes(new byte[] {(byte) c, (byte) (c >> 8), (byte) (c >> 16), (byte) (c >> 24),
        (byte) n, (byte) (n >> 8), (byte) (n >> 16), (byte) (n >> 24)});
    return out.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static byte[] strict(byte[] gz) throws IOException {
    try (InputStream in = new StrictGzipInputStream(new ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }

  @Test
  void validDataReadsLikeTheJdkReader() throws IOException {
    byte[] a = text(1, 3000);
    byte[] b = text(2, 1);
    byte[] c = text(3, 20_000);
    for (byte[] gz : new byte[][] {gzip(a), gzip(new byte[0]), concat(gzip(a), gzip(b), gzip(c)),
        concat(member(a, 2 | 4 | 8 | 16), member(b, 8), member(c, 0)), concat(gzip(a), new byte[1000])}) {
      assertArrayEquals(new GZIPInputStream(new ByteArrayInputStream(gz)).readAllBytes(), strict(gz));
    }
  }

  @Test
  void aDamagedLaterMemberIsAnErrorNotTheEnd() throws IOException {
    byte[] first = gzip(text(4, 2000));
    byte[] second = gzip(text(5, 2000));
    byte[] third = gzip(text(6, 2000));
    byte[] flags = second.clone();
    flags[3] = (byte) 0xff;
    byte[] method = second.clone();
    method[2] = (byte) 0xff;
    byte[] badThird = third.clone();
    badThird[3] = (byte) 0xe0;
    for (byte[] gz : new byte[][] {concat(first, flags), concat(first, method), concat(first, second, badThird)}) {
      // the JDK's reader stops quietly before the damaged member: half the data, no error
      assertTrue(new GZIPInputStream(new ByteArrayInputStream(gz)).readAllBytes().length < text(4, 2000).length * 3);
      ZipException e = assertThrows(ZipException.class, () -> strict(gz));
      assertTrue(e.getMessage().startsWith("damaged gzip member "), e.getMessage());
    }
    assertTrue(assertThrows(ZipException.class, () -> strict(concat(first, method))).getMessage()
        .contains("member 2 (at byte " + first.length + "): unknown compression method 255"));
  }

  @Test
  void trailingGarbageIsAnError() throws IOException {
    byte[] gz = gzip(text(7, 500));
    ZipException e = assertThrows(ZipException.class,
        () -> strict(concat(gz, "garbage".getBytes(StandardCharsets.UTF_8))));
    assertTrue(e.getMessage().equals("trailing garbage after the gzip data at byte " + gz.length), e.getMessage());
    assertThrows(ZipException.class, () -> strict(concat(gz, new byte[10], new byte[] {1})));
  }

  @Test
  void aCorruptChecksumOrLengthIsAnError() throws IOException {
    byte[] gz = gzip(text(8, 500));
    byte[] crc = gz.clone();
    crc[gz.length - 8] ^= 1;
    assertTrue(assertThrows(ZipException.class, () -> strict(crc)).getMessage().contains("CRC-32 mismatch"));
    byte[] size = gz.clone();
    size[gz.length - 4] ^= 1;
    assertTrue(assertThrows(ZipException.class, () -> strict(size)).getMessage().contains("length mismatch"));
    byte[] header = member(text(8, 10), 2 | 8);
    header[12] ^= 1; // a letter of the file name, covered by the header CRC
    assertTrue(assertThrows(ZipException.class, () -> strict(header)).getMessage().contains("header CRC mismatch"));
  }

  @Test
  void everyTruncationIsAnErrorUnlessItFallsBetweenMembers() throws IOException {
    byte[] first = gzip(text(9, 300));
    byte[] second = gzip(text(10, 300));
    byte[] gz = concat(first, second);
    for (int n = 2; n < gz.length; n++) {
      byte[] cut = Arrays.copyOf(gz, n);
      if (n == first.length) {
        assertArrayEquals(text(9, 300), strict(cut));
        continue;
      }
      IOException e = assertThrows(IOException.class, () -> strict(cut), "length " + n);
      assertTrue(e instanceof EOFException || e instanceof ZipException, e.toString());
    }
  }

  @Test
  void flippedBitsInTheCompressedDataAreCaught() throws IOException {
    byte[] gz = gzip(text(11, 2000));
    SplittableRandom r = new SplittableRandom(12);
    for (int i = 0; i < 300; i++) {
      byte[] bad = gz.clone();
      int at = 10 + r.nextInt(gz.length - 10);
      bad[at] ^= (byte) (1 << r.nextInt(8));
      assertThrows(IOException.class, () -> strict(bad), "byte " + at);
    }
  }

  @Test
  void compressedInputAlwaysHasMoreToGiveUntilItsEnd() throws IOException {
    // the chunker hands a chunk off early only when nothing more is waiting (live input)
    try (InputStream in = new StrictGzipInputStream(new ByteArrayInputStream(gzip(text(13, 100))))) {
      assertTrue(in.available() > 0);
      in.readAllBytes();
      assertTrue(in.available() == 0);
    }
  }
}
