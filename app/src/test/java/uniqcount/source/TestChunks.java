package uniqcount.source;

/** Builds chunks by hand for tests that feed a partition without ending it. */
public final class TestChunks {
  private TestChunks() {}

  /** A chunk holding {@code data} (whole lines), as chunk {@code sequence} of {@code partition}. */
  public static Chunk of(byte[] data, int partition, long sequence, boolean end) {
    Chunk c = new Chunk(Math.max(1, data.length));
    System.arraycopy(data, 0, c.data(), 0, data.length);
    c.set(data.length, partition, 0, 0, sequence, end);
    return c;
  }
}
