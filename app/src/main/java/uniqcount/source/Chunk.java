package uniqcount.source;

/**
 * A line-aligned run of frames handed from a reader to a worker: whole lines only, each ending in
 * {@code \n} except perhaps the last line of an input. Chunks are pooled and reused; the worker
 * owns a chunk from {@code take} until it returns it to the pool.
 */
public final class Chunk {
  private final byte[] data;
  private int length;
  private int partition;
  private long startOffset;
  private int oversizedLines;
  private long sequence;
  private boolean endOfPartition;

  /** An empty chunk of {@code capacity} bytes. */
  public Chunk(int capacity) {
    this.data = new byte[capacity];
  }

  /** The bytes; valid from 0 to {@link #length()}. */
  public byte[] data() {
    return data;
  }

  /** Number of valid bytes. */
  public int length() {
    return length;
  }

  /** Input partition (file index) the lines come from. */
  public int partition() {
    return partition;
  }

  /** Byte offset of {@code data[0]} in its (decompressed) input. */
  public long startOffset() {
    return startOffset;
  }

  /**
   * Lines before this chunk's data that were longer than the frame size limit and skipped by the
   * reader: they are to be counted as rejected.
   */
  public int oversizedLines() {
    return oversizedLines;
  }

  /** Position of this chunk among its partition's chunks: 0, 1, 2, ... */
  public long sequence() {
    return sequence;
  }

  /** Whether this is the last chunk of its partition (it may be empty). */
  public boolean endOfPartition() {
    return endOfPartition;
  }

  int capacity() {
    return data.length;
  }

  void set(int length, int partition, long startOffset, int oversizedLines, long sequence, boolean endOfPartition) {
    this.sequence = sequence;
    this.endOfPartition = endOfPartition;
    this.length = length;
    this.partition = partition;
    this.startOffset = startOffset;
    this.oversizedLines = oversizedLines;
  }
}
