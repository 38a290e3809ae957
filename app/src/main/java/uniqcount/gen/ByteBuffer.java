package uniqcount.gen;

import java.util.Arrays;

/** A growable byte array for assembling frames. */
public final class ByteBuffer {
  private byte[] bytes;
  private int length;

  /** An empty buffer. */
  public ByteBuffer(int capacity) {
    bytes = new byte[Math.max(16, capacity)];
  }

  /** The backing array; valid from 0 to {@link #length()}. */
  public byte[] array() {
    return bytes;
  }

  /** Bytes held. */
  public int length() {
    return length;
  }

  /** Empties the buffer. */
  public void clear() {
    length = 0;
  }

  void append(byte b) {
    ensure(1);
    bytes[length++] = b;
  }

  void append(byte[] b) {
    append(b, 0, b.length);
  }

  void append(byte[] b, int off, int len) {
    ensure(len);
    System.arraycopy(b, off, bytes, length, len);
    length += len;
  }

  /** Appends {@code b} between double quotes. */
  void appendQuoted(byte[] b) {
    ensure(b.length + 2);
    bytes[length++] = '"';
    System.arraycopy(b, 0, bytes, length, b.length);
    length += b.length;
    bytes[length++] = '"';
  }

  void appendLong(long v) {
    if (v == Long.MIN_VALUE) {
      append(Long.toString(v).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return;
    }
    ensure(20);
    if (v < 0) {
      bytes[length++] = '-';
      v = -v;
    }
    int start = length;
    do {
      bytes[length++] = (byte) ('0' + v % 10);
      v /= 10;
    } while (v != 0);
    for (int i = start, j = length - 1; i < j; i++, j--) {
      byte t = bytes[i];
      bytes[i] = bytes[j];
      bytes[j] = t;
    }
  }

  private void ensure(int extra) {
    if (length + extra > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(length + extra, bytes.length * 2));
    }
  }
}
