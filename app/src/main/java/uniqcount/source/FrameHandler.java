package uniqcount.source;

/**
 * Receives frames one by one from a source that delivers records rather than byte streams
 * (Kafka): each call comes from the one thread that owns the handler.
 */
public interface FrameHandler {
  /** {@code partition} is now read by this handler's thread; its data is expected. */
  void onPartitionAssigned(int partition);

  /** One frame (a record's value) of {@code partition}. */
  void onFrame(int partition, byte[] bytes, int offset, int length);

  /** The frames of {@code partition} delivered since the last call form one batch, in order. */
  void onBatchEnd(int partition);

  /** No more frames will come for {@code partition} in this run. */
  void onPartitionEnd(int partition);
}
