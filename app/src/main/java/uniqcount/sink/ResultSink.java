package uniqcount.sink;

import java.io.IOException;
import uniqcount.emit.ResultRecord;

/** Where result records go. */
public interface ResultSink extends AutoCloseable {
  /** Publishes one record. */
  void write(ResultRecord record) throws IOException;

  /** Makes everything written so far visible (flushes). */
  void flush() throws IOException;

  @Override
  void close() throws IOException;
}
