package uniqcount.sink;

import java.io.IOException;
import java.util.List;
import uniqcount.emit.ResultRecord;

/** Every record to several sinks (stdout and a topic, say), in order. */
public final class TeeSink implements ResultSink {
  private final List<ResultSink> sinks;

  /** A tee over {@code sinks}. */
  public TeeSink(List<ResultSink> sinks) {
    this.sinks = List.copyOf(sinks);
  }

  @Override
  public void write(ResultRecord record) throws IOException {
    for (ResultSink s : sinks) {
      s.write(record);
    }
  }

  @Override
  public void flush() throws IOException {
    for (ResultSink s : sinks) {
      s.flush();
    }
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (ResultSink s : sinks) {
      try {
        s.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
