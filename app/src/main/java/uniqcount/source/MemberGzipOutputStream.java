package uniqcount.source;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Gzip written as a series of members, a new one every {@code memberBytes} bytes of input, so that
 * {@code count} inflates it on several threads ({@link ParallelGzipInputStream}); any gzip reader
 * ({@code gzip -d}, {@code zcat}, {@link java.util.zip.GZIPInputStream}) reads it as one stream.
 * Deflate looks back 32 KiB at most, so members of megabytes compress as well as one member.
 */
public final class MemberGzipOutputStream extends OutputStream {
  /** Input bytes per member by default: about 1 MB compressed for frames. */
  public static final int MEMBER_BYTES = 8 << 20;

  private final OutputStream out;
  private final int memberBytes;
  private GZIPOutputStream member;
  private long inMember;
  private long written;

  /** Writes members of {@link #MEMBER_BYTES} to {@code out}. */
  public MemberGzipOutputStream(OutputStream out) {
    this(out, MEMBER_BYTES);
  }

  /** Writes members of {@code memberBytes} input bytes each to {@code out}. */
  public MemberGzipOutputStream(OutputStream out, int memberBytes) {
    if (memberBytes < 1) {
      throw new IllegalArgumentException("memberBytes < 1");
    }
    this.out = out;
    this.memberBytes = memberBytes;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (member == null) {
        startMember();
      }
      int n = (int) Math.min(len, memberBytes - inMember);
      member.write(b, off, n);
      inMember += n;
      written += n;
      off += n;
      len -= n;
      if (inMember == memberBytes) {
        member.close(); // finishes the member and ends its deflater; the file stays open
        member = null;
      }
    }
  }

  private void startMember() throws IOException {
    member = new GZIPOutputStream(new FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() {
        // finishing a member leaves the file open for the next
      }
    }, 1 << 16);
    inMember = 0;
  }

  @Override
  public void flush() throws IOException {
    if (member != null) {
      member.flush();
    }
    out.flush();
  }

  /** Ends the last member (an empty input gives one empty member, as gzip does) and closes the stream below. */
  @Override
  public void close() throws IOException {
    try (out) {
      if (member == null && written == 0) {
        startMember();
      }
      if (member != null) {
        member.close(); // finishes the member and ends its deflater; the file stays open
        member = null;
      }
    }
  }
}
