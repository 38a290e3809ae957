package uniqcount.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static uniqcount.source.StrictGzipInputStreamTest.concat;
import static uniqcount.source.StrictGzipInputStreamTest.gzip;
import static uniqcount.source.StrictGzipInputStreamTest.member;
import static uniqcount.source.StrictGzipInputStreamTest.text;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A multi-member gzip inflated on several threads gives the bytes the members hold, in order, and
 * fails exactly where and as one thread ({@link StrictGzipInputStream}) fails — with member starts
 * planted inside stored members (whole gzip files, which inflate cleanly from a false start), every
 * optional header field, empty members, zero padding, and segments smaller than a member.
 */
class ParallelGzipInputStreamTest {
  @TempDir
  Path dir;

  /** A gzip file and what it holds: member after member, and where each member starts. */
  private record Layout(byte[] gz, byte[] plain, List<Integer> starts) {}

  private static Layout layout(long seed, boolean padding) throws IOException {
    return layout(seed, padding, true);
  }

  /** {@code falseStarts}: some members are stored and hold a whole gzip file, whose header looks like a member start. */
  private static Layout layout(long seed, boolean padding, boolean falseStarts) throws IOException {
    SplittableRandom r = new SplittableRandom(seed);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    ByteArrayOutputStream plain = new ByteArrayOutputStream();
    List<Integer> starts = new ArrayList<>();
    int members = 20 + r.nextInt(30);
    for (int m = 0; m < members; m++) {
      byte[] data = text(seed * 1000 + m, r.nextInt(6) == 0 ? 0 : 1 + r.nextInt(400));
      byte[] member;
      switch (falseStarts ? r.nextInt(4) : 1 + r.nextInt(3)) {
        case 0 -> {
          // stored: a whole gzip file inside shows its header as it is, and inflates cleanly from there
          data = concat(gzip(text(seed * 1000 + m + 500, 1 + r.nextInt(200))), data);
          member = member(data, 0, 0);
        }
        case 1 -> member = member(data, new int[] {2, 4, 8, 16, 2 | 4 | 8 | 16}[r.nextInt(5)], 1 + r.nextInt(9));
        default -> member = gzip(data);
      }
      starts.add(gz.size());
      gz.writeBytes(member);
      plain.writeBytes(data);
    }
    if (padding) {
      gz.writeBytes(new byte[1 + r.nextInt(3000)]);
    }
    return new Layout(gz.toByteArray(), plain.toByteArray(), starts);
  }

  private Path write(byte[] gz) throws IOException {
    Path file = Files.createTempFile(dir, "members", ".gz");
    Files.write(file, gz);
    return file;
  }

  /** What a stream gives before it ends or fails, and how it failed ("" if it did not). */
  private record Outcome(byte[] bytes, String failure) {}

  private static Outcome readAll(InputStream in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[777];
    try (in) {
      for (int n; (n = in.read(buf, 0, buf.length)) >= 0; ) {
        out.write(buf, 0, n);
      }
      return new Outcome(out.toByteArray(), "");
    } catch (IOException e) {
      return new Outcome(out.toByteArray(), e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  private static Outcome oneThread(byte[] gz) {
    try {
      return readAll(new StrictGzipInputStream(new ByteArrayInputStream(gz)));
    } catch (IOException e) {
      return new Outcome(new byte[0], e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  private static InputStream parallel(Path file, int threads, long segment, int block, int queue, AtomicLong raw)
      throws IOException {
    InputStream in = ParallelGzipInputStream.open(file, threads, segment, block, queue, raw);
    assertNotNull(in, "segments expected");
    return in;
  }

  @Test
  void theMembersBytesInOrderWhateverTheSegmentsThreadsAndBuffers() throws IOException {
    int falseStarts = 0;
    for (long seed = 1; seed <= 6; seed++) {
      Layout l = layout(seed, seed % 2 == 0);
      Path file = write(l.gz);
      assertEquals("", oneThread(l.gz).failure);
      assertArrayEquals(l.plain, oneThread(l.gz).bytes);
      long[][] configs = {{2, 64, 16, 1}, {3, 512, 1024, 4}, {8, 4096, 100, 2}, {2, 1 << 13, 1 << 16, 8}, {4, 1, 7, 1}};
      for (long[] c : configs) {
        AtomicLong raw = new AtomicLong();
        ParallelGzipInputStream in = (ParallelGzipInputStream) parallel(file, (int) c[0], c[1], (int) c[2], (int) c[3], raw);
        Outcome o = readAll(in);
        falseStarts += in.falseStarts();
        String what = "seed " + seed + " " + Arrays.toString(c);
        assertEquals("", o.failure, what);
        assertArrayEquals(l.plain, o.bytes, what);
        assertEquals(l.gz.length, raw.get(), what + ": progress counts every byte of the file once");
      }
    }
    assertTrue(falseStarts > 10, "the gzip files stored inside members were taken for member starts: " + falseStarts);
  }

  @Test
  void damageFailsWhereAndAsOneThreadFails() throws IOException {
    Layout l = layout(40, false);
    SplittableRandom r = new SplittableRandom(41);
    List<byte[]> damaged = new ArrayList<>();
    List<String> kinds = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      int m = 1 + r.nextInt(l.starts.size() - 1);
      int start = l.starts.get(m);
      int end = m + 1 < l.starts.size() ? l.starts.get(m + 1) : l.gz.length;
      byte[] crc = l.gz.clone();
      crc[end - 8 + r.nextInt(4)] ^= 1;
      byte[] length = l.gz.clone();
      length[end - 4 + r.nextInt(4)] ^= 1;
      byte[] flags = l.gz.clone();
      flags[start + 3] |= (byte) 0x20; // a reserved flag: no longer looks like a member start either
      byte[] method = l.gz.clone();
      method[start + 2] = 7;
      byte[] magic = l.gz.clone();
      magic[start + 1] = 0x7b;
      damaged.addAll(List.of(crc, length, flags, method, magic,
          Arrays.copyOf(l.gz, start + 1 + r.nextInt(end - start - 1)), // truncated inside a member
          concat(Arrays.copyOf(l.gz, end), "garbage".getBytes()), // garbage after a member
          concat(Arrays.copyOf(l.gz, end), new byte[100], new byte[] {1}))); // padding, then garbage
      kinds.addAll(List.of("crc", "length", "flags", "method", "magic", "truncated", "garbage", "padded garbage"));
    }
    for (int i = 0; i < damaged.size(); i++) {
      byte[] gz = damaged.get(i);
      Outcome one = oneThread(gz);
      assertTrue(!one.failure.isEmpty(), kinds.get(i));
      Path file = write(gz);
      for (long segment : new long[] {64, 2048}) {
        Outcome many = readAll(parallel(file, 3, segment, 1000, 2, null));
        String what = kinds.get(i) + ", segments of " + segment;
        assertEquals(one.failure, many.failure, what);
        assertArrayEquals(one.bytes, many.bytes, what + ": the bytes before the failure");
      }
    }
  }

  @Test
  void flippedBitsFailAsOneThreadFails() throws IOException {
    Layout l = layout(50, false);
    SplittableRandom r = new SplittableRandom(51);
    int failures = 0;
    for (int i = 0; i < 150; i++) {
      byte[] gz = l.gz.clone();
      int at = 2 + r.nextInt(gz.length - 2); // past the magic bytes, which decide whether it is gzip at all
      gz[at] ^= (byte) (1 << r.nextInt(8));
      Outcome one = oneThread(gz);
      Outcome many = readAll(parallel(write(gz), 3, 256, 4096, 2, null));
      String what = "bit flipped at byte " + at;
      assertEquals(one.failure, many.failure, what);
      failures += one.failure.isEmpty() ? 0 : 1;
      // inflating stops at the damage; how much of the last call's output is handed on depends on
      // the buffer it was given, so one outcome's bytes are a prefix of the other's
      int common = Math.min(one.bytes.length, many.bytes.length);
      assertArrayEquals(Arrays.copyOf(one.bytes, common), Arrays.copyOf(many.bytes, common), what);
      if (one.failure.isEmpty()) {
        assertArrayEquals(one.bytes, many.bytes, what); // a flip in a gzip file name, say
      }
    }
    assertTrue(failures > 100, "most flips are caught: " + failures);
  }

  @Test
  void segmentsEndWhereTheNextStartsWhenNoHeaderIsPlanted() throws IOException {
    Layout l = layout(90, false, false);
    long launched = ParallelGzipInputStream.LAUNCHED.get();
    ParallelGzipInputStream in = (ParallelGzipInputStream) parallel(write(l.gz), 3, 512, 1024, 2);
    assertArrayEquals(l.plain, readAll(in).bytes);
    assertEquals(0, in.falseStarts(), "every candidate was a member start, and each segment stopped at the next");
    assertTrue(ParallelGzipInputStream.LAUNCHED.get() - launched > 10, "segments");
  }

  @Test
  void aHeaderIsFoundAcrossTheSearchsReads() throws IOException {
    // the search reads 64 KiB at a time; a header lying across two reads is found all the same
    for (int at : new int[] {65_526, 65_530, 65_535, 65_536, 65_540, 131_060, 200_000}) {
      byte[] file = new byte[at + 200];
      byte[] header = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
      System.arraycopy(header, 0, file, 0, 10); // gzip at byte 0, then no header until the planted one
      System.arraycopy(header, 0, file, at, 10);
      try (ParallelGzipInputStream in = (ParallelGzipInputStream) parallel(write(file), 2, 1, 16, 1)) {
        assertEquals(new ParallelGzipInputStream.Stop(at, true), in.stopAfter(0), "header at " + at);
        assertEquals(new ParallelGzipInputStream.Stop(Long.MAX_VALUE, false), in.stopAfter(at), "none after it");
      }
    }
  }

  @Test
  void aFileThatGrowsIsReadToItsNewEndAndOneThatShrinksEndsThere() throws IOException {
    Layout l = layout(100, false, false);
    Layout more = layout(101, false, false);
    Path grows = write(l.gz);
    try (InputStream in = parallel(grows, 2, 256, 64, 1)) {
      Files.write(grows, more.gz, java.nio.file.StandardOpenOption.APPEND); // before the last segment starts
      assertArrayEquals(concat(l.plain, more.plain), readAll(in).bytes, "as one thread reads it: to the end");
    }
    Path shrinks = write(l.gz);
    int cut = l.starts.get(l.starts.size() / 2);
    InputStream in = parallel(shrinks, 2, 256, 64, 1);
    byte[] first = new byte[10];
    assertEquals(10, in.read(first));
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(shrinks, java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(cut); // at a member's start, as a rotation that truncates would
    }
    Outcome rest = assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> readAll(in));
    assertEquals("", rest.failure);
    byte[] got = concat(first, rest.bytes);
    int before = 0;
    for (int m = 0; m < l.starts.size() / 2; m++) {
      before += oneThread(Arrays.copyOfRange(l.gz, l.starts.get(m), l.starts.get(m + 1))).bytes.length;
    }
    // members inflated before the cut may still be handed on; never less than what is left, never other bytes
    assertTrue(got.length >= before && got.length <= l.plain.length, got.length + " of " + before + ".." + l.plain.length);
    assertArrayEquals(Arrays.copyOf(l.plain, got.length), got);
  }

  @Test
  void oneMemberOrNoGzipIsLeftToOneThread() throws IOException {
    assertNull(ParallelGzipInputStream.open(write(gzip(text(60, 5000))), 4, 512, 1024, 2, null));
    assertNull(ParallelGzipInputStream.open(write(text(61, 5000)), 4, 512, 1024, 2, null));
    assertNull(ParallelGzipInputStream.open(write(new byte[0]), 4, 512, 1024, 2, null));
  }

  @Test
  void closingEarlyOrFailingLeavesNoInflatingThread() throws Exception {
    Layout l = layout(70, false);
    try (InputStream in = parallel(write(l.gz), 4, 64, 16, 1)) {
      in.read(new byte[100]); // every segment ahead waits with a full queue
    }
    byte[] bad = l.gz.clone();
    bad[l.starts.get(3) + 2] = 7;
    assertTrue(!readAll(parallel(write(bad), 4, 64, 16, 1, null)).failure.isEmpty());
    awaitNoInflatingThread();
    // read to the end or to a failure, not closed: the segments still ahead (false starts) stop too;
    // here the last member is stored and holds a gzip file, which a segment ahead inflates cleanly
    byte[] lastHoldsGzip = concat(l.gz, member(concat(text(72, 10), gzip(text(71, 300))), 0, 0));
    InputStream ended = parallel(write(lastHoldsGzip), 4, 64, 16, 1);
    InputStream failed = parallel(write(bad), 4, 64, 16, 1);
    byte[] buf = new byte[1 << 16];
    while (ended.read(buf) >= 0) {
      // to the end
    }
    assertThrows(IOException.class, () -> {
      while (failed.read(buf) >= 0) {
        // to the failure
      }
    });
    awaitNoInflatingThread();
    ended.close();
    failed.close();
  }

  private static void awaitNoInflatingThread() throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (inflating() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(0, inflating(), "inflating threads left");
  }

  private InputStream parallel(Path file, int threads, long segment, int block, int queue) throws IOException {
    return parallel(file, threads, segment, block, queue, null);
  }

  private static long inflating() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("uniqcount-inflate@")).count();
  }

  @Test
  void theHeaderSearchFindsWhatAByteByByteSearchFinds() {
    SplittableRandom r = new SplittableRandom(80);
    byte[] header = {0x1f, (byte) 0x8b, 8, 0, 1, 2, 3, 4, 0, 3};
    for (int i = 0; i < 3000; i++) {
      byte[] b = new byte[10 + r.nextInt(200)];
      r.nextBytes(b);
      for (int k = r.nextInt(4); k > 0; k--) {
        byte[] h = header.clone();
        h[3] = (byte) r.nextInt(r.nextBoolean() ? 32 : 256); // a reserved flag bit in half of them
        h[8] = (byte) (r.nextBoolean() ? 2 * r.nextInt(3) : r.nextInt(256));
        h[9] = (byte) (r.nextBoolean() ? 255 : r.nextInt(20));
        int at = r.nextInt(b.length - 9);
        System.arraycopy(h, 0, b, at, 10);
      }
      if (r.nextInt(4) == 0) {
        b[r.nextInt(b.length)] = 0x1f; // the first byte alone
      }
      int n = b.length - r.nextInt(3);
      assertEquals(naive(b, n), ParallelGzipInputStream.header(b, n), Arrays.toString(Arrays.copyOf(b, n)));
    }
  }

  private static int naive(byte[] b, int n) {
    for (int i = 0; i + 10 <= n; i++) {
      int xfl = b[i + 8] & 0xff;
      int os = b[i + 9] & 0xff;
      if ((b[i] & 0xff) == 0x1f && (b[i + 1] & 0xff) == 0x8b && b[i + 2] == 8 && (b[i + 3] & 0xe0) == 0
          && (xfl == 0 || xfl == 2 || xfl == 4) && (os <= 13 || os == 255)) {
        return i;
      }
    }
    return -1;
  }
}
