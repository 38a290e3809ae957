package uniqcount.source;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * Gzip (RFC 1952) decompression that accepts only whole, intact data, as {@code gzip -t} does:
 * every member's header is checked (magic, method 8, no reserved flag bits, its CRC-16 when
 * present), every member's
 * CRC-32 and length are verified, and after a member only another member or zero padding may
 * follow. {@link java.util.zip.GZIPInputStream} instead ends quietly at a damaged second member
 * or at trailing garbage, which loses the rest of the input without a word.
 *
 * <p>Format errors are {@link ZipException}s saying which member and where; a stream that ends
 * inside a member is an {@link EOFException}.
 */
final class StrictGzipInputStream extends InputStream {
  private static final int FHCRC = 2;
  private static final int FEXTRA = 4;
  private static final int FNAME = 8;
  private static final int FCOMMENT = 16;

  private final InputStream in;
  /** A segment of a {@link ParallelGzipInputStream} ends at the first member end at or after this byte. */
  private final long stopAt;
  private final Inflater inflater = new Inflater(true);
  private final CRC32 crc = new CRC32();
  private final CRC32 headerCrc = new CRC32();
  private final byte[] buf = new byte[1 << 16];
  private int pos;
  private int limit;
  private long consumedBefore;
  private int member;
  private long memberStart;
  private long size;
  private boolean done;
  private boolean stopped;

  /** Decompresses {@code in}, which must start with a gzip member. */
  StrictGzipInputStream(InputStream in) throws IOException {
    this(in, 0, Long.MAX_VALUE);
    readHeader();
  }

  /**
   * A segment: {@code in} starts at byte {@code startOffset} of the gzip data, with a member (checked
   * by {@link #start()}), and the stream ends after the first member that ends at or after byte
   * {@code stopAt}, or at the end of the data. Members are numbered from 1 at {@code startOffset}.
   */
  StrictGzipInputStream(InputStream in, long startOffset, long stopAt) {
    this.in = in;
    this.stopAt = stopAt;
    this.consumedBefore = startOffset;
  }

  /**
   * Starts a segment: at byte 0 with a member header; elsewhere as after a member (another member,
   * zero padding to the end, or trailing garbage), since the member before may have ended there.
   */
  void start() throws IOException {
    if (offset() == 0) {
      readHeader();
    } else {
      nextMember();
    }
  }

  /** The member being read (from 1), or the last one once ended: the number in an error's message. */
  int member() {
    return member;
  }

  /** Whether a segment ended after a member at or past its {@code stopAt}, rather than at the end of the data. */
  boolean stopped() {
    return stopped;
  }

  /** Frees the inflater's native memory, leaving the stream below open (a segment's is shared). */
  void end() {
    inflater.end();
  }

  /** The byte of the gzip data read up to. */
  long offset() {
    return consumedBefore + pos;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (!done) {
      if (inflater.finished()) {
        readTrailer();
        if (offset() >= stopAt) {
          done = true; // a segment's end: the next segment starts here
          stopped = true;
          break;
        }
        nextMember();
        continue;
      }
      if (inflater.needsInput()) {
        if (!fill()) {
          throw new EOFException("unexpected end of compressed data in gzip member " + member + " (truncated gzip?)");
        }
        inflater.setInput(buf, pos, limit - pos);
      }
      int n;
      try {
        n = inflater.inflate(b, off, len);
      } catch (DataFormatException e) {
        throw damaged("bad compressed data (" + e.getMessage() + ")");
      }
      pos = limit - inflater.getRemaining();
      if (n > 0) {
        crc.update(b, off, n);
        size += n;
        return n;
      }
      if (inflater.needsDictionary()) {
        throw damaged("asks for a preset dictionary");
      }
    }
    return -1;
  }

  /** 1 until the end (as the JDK's gzip stream): compressed input always has more to give, so reading never hands a chunk off early as if the input were live. */
  @Override
  public int available() {
    return done ? 0 : 1;
  }

  @Override
  public void close() throws IOException {
    inflater.end();
    in.close();
  }

  private void readHeader() throws IOException {
    memberStart = offset();
    member++;
    headerCrc.reset();
    if (byteOf("header") != 0x1f || byteOf("header") != 0x8b) {
      throw damaged("no gzip magic bytes");
    }
    int method = byteOf("header");
    if (method != 8) {
      throw damaged("unknown compression method " + method);
    }
    int flags = byteOf("header");
    if ((flags & 0xe0) != 0) {
      throw damaged("reserved header flags set (0x" + Integer.toHexString(flags) + ")");
    }
    skip(6); // mtime, extra flags, OS
    if ((flags & FEXTRA) != 0) {
      skip(byteOf("header") | byteOf("header") << 8);
    }
    if ((flags & FNAME) != 0) {
      while (byteOf("header") != 0) {
        // the original file name
      }
    }
    if ((flags & FCOMMENT) != 0) {
      while (byteOf("header") != 0) {
        // a comment
      }
    }
    if ((flags & FHCRC) != 0) {
      int expected = (int) headerCrc.getValue() & 0xffff;
      if ((byteOf("header check") | byteOf("header check") << 8) != expected) {
        throw damaged("header CRC mismatch");
      }
    }
    inflater.reset();
    crc.reset();
    size = 0;
  }

  private void readTrailer() throws IOException {
    long expectedCrc = uint32();
    long expectedSize = uint32();
    if (expectedCrc != crc.getValue()) {
      throw damaged("CRC-32 mismatch (the data is corrupt)");
    }
    if (expectedSize != (size & 0xffffffffL)) {
      throw damaged("length mismatch (" + (size & 0xffffffffL) + " bytes, the trailer says " + expectedSize + ")");
    }
  }

  /** After a member: the end, another member, or zero padding to the end. */
  private void nextMember() throws IOException {
    if (!fill()) {
      done = true;
      return;
    }
    if ((buf[pos] & 0xff) == 0) {
      long at = offset();
      while (fill()) {
        for (; pos < limit; pos++) {
          if (buf[pos] != 0) {
            throw new ZipException("trailing garbage after the gzip data at byte " + at);
          }
        }
      }
      done = true;
      return;
    }
    if ((buf[pos] & 0xff) != 0x1f) {
      throw new ZipException("trailing garbage after the gzip data at byte " + offset());
    }
    readHeader();
  }

  private long uint32() throws IOException {
    return byteOf("trailer") | byteOf("trailer") << 8 | byteOf("trailer") << 16 | (long) byteOf("trailer") << 24;
  }

  private void skip(int n) throws IOException {
    for (int i = 0; i < n; i++) {
      byteOf("header");
    }
  }

  private int byteOf(String part) throws IOException {
    if (!fill()) {
      throw new EOFException("unexpected end of the " + part + " of gzip member " + member + " (truncated gzip?)");
    }
    int b = buf[pos++] & 0xff;
    if (part.equals("header")) {
      headerCrc.update(b);
    }
    return b;
  }

  /** Makes {@code buf[pos]} valid; false at the end of the input. */
  private boolean fill() throws IOException {
    while (pos >= limit) {
      consumedBefore += limit;
      pos = 0;
      limit = 0;
      int n = in.read(buf, 0, buf.length);
      if (n < 0) {
        return false;
      }
      limit = n;
    }
    return true;
  }

  private ZipException damaged(String why) {
    return new ZipException("damaged gzip member " + member + " (at byte " + memberStart + "): " + why);
  }
}
