package uniqcount.sink;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import uniqcount.emit.ResultRecord;

/** Result records as JSON lines on a stream (stdout or a file). */
public final class JsonLinesSink implements ResultSink {
  private final Writer out;
  private final boolean closeStream;

  /**
   * @param stream the destination
   * @param closeStream whether {@link #close()} closes the stream (not for stdout)
   */
  public JsonLinesSink(OutputStream stream, boolean closeStream) {
    this.out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 1 << 16);
    this.closeStream = closeStream;
  }

  @Override
  public void write(ResultRecord record) throws IOException {
    out.write(record.toJson());
    out.write('\n');
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    out.flush();
    if (closeStream) {
      out.close();
    }
  }
}
