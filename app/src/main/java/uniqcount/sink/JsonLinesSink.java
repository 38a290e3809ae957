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
  private final java.nio.channels.FileChannel channel;

  /**
   * @param stream the destination
   * @param closeStream whether {@link #close()} closes the stream (not for stdout)
   */
  public JsonLinesSink(OutputStream stream, boolean closeStream) {
    this.out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 1 << 16);
    this.closeStream = closeStream;
    this.channel = null;
  }

  private JsonLinesSink(java.nio.channels.FileChannel channel) {
    this.out = new BufferedWriter(new OutputStreamWriter(java.nio.channels.Channels.newOutputStream(channel),
        StandardCharsets.UTF_8), 1 << 16);
    this.closeStream = true;
    this.channel = channel;
  }

  /**
   * A file sink that can tell its length: from scratch ({@code resumeAt} &lt; 0), or after a
   * restart, cut back to what a checkpoint saw ({@code resumeAt} bytes), so records written after
   * that checkpoint and before a crash are gone before they are written again.
   */
  public static JsonLinesSink file(java.nio.file.Path path, long resumeAt) throws IOException {
    java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(path,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
    long keep = Math.max(0, resumeAt);
    ch.truncate(keep);
    ch.position(keep);
    return new JsonLinesSink(ch);
  }

  /** Bytes written so far (after a flush), or -1 when not a file. */
  public long position() throws IOException {
    if (channel == null) {
      return -1;
    }
    out.flush();
    return channel.position();
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
