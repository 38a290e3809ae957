package uniqcount.sink;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLongArray;
import uniqcount.emit.ResultRecord;

/** Passes records on to a sink and counts them per status, once the sink took them (for metrics). */
public final class CountingSink implements ResultSink {
  private final ResultSink sink;
  private final AtomicLongArray byStatus = new AtomicLongArray(ResultRecord.Status.values().length);

  /** Counts what goes into {@code sink}. */
  public CountingSink(ResultSink sink) {
    this.sink = sink;
  }

  @Override
  public void write(ResultRecord record) throws IOException {
    sink.write(record);
    byStatus.incrementAndGet(record.status().ordinal());
  }

  @Override
  public void flush() throws IOException {
    sink.flush();
  }

  @Override
  public void close() throws IOException {
    sink.close();
  }

  /** The sink behind, for records that are not counted again (a republication of what was published). */
  public ResultSink uncounted() {
    return sink;
  }

  /** Records written with this status so far; any thread. */
  public long written(ResultRecord.Status status) {
    return byStatus.get(status.ordinal());
  }
}
