package uniqcount.sink;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import uniqcount.emit.ResultRecord;

/**
 * Result records as JSON lines on a stream (stdout or a file). Every write error surfaces as an
 * {@link IOException} naming the destination — also on a {@link PrintStream} such as stdout,
 * which swallows errors and only remembers that one happened ({@link PrintStream#checkError()}).
 */
public final class JsonLinesSink implements ResultSink {
  private final Writer out;
  private final boolean closeStream;
  private final java.nio.channels.FileChannel channel;
  private final PrintStream printStream;
  private final String name;

  /**
   * @param stream the destination
   * @param closeStream whether {@link #close()} closes the stream (not for stdout)
   * @param name the destination in messages: {@code stdout} or the file
   */
  public JsonLinesSink(OutputStream stream, boolean closeStream, String name) {
    this.out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 1 << 16);
    this.closeStream = closeStream;
    this.channel = null;
    this.printStream = stream instanceof PrintStream ? (PrintStream) stream : null;
    this.name = name;
  }

  private JsonLinesSink(java.nio.channels.FileChannel channel, String name) {
    this.out = new BufferedWriter(new OutputStreamWriter(java.nio.channels.Channels.newOutputStream(channel),
        StandardCharsets.UTF_8), 1 << 16);
    this.closeStream = true;
    this.channel = channel;
    this.printStream = null;
    this.name = name;
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
    return new JsonLinesSink(ch, path.toString());
  }

  /** Bytes written so far (after a flush), or -1 when not a file. */
  public long position() throws IOException {
    if (channel == null) {
      return -1;
    }
    flush();
    return channel.position();
  }

  @Override
  public void write(ResultRecord record) throws IOException {
    try {
      out.write(record.toJson());
      out.write('\n');
    } catch (IOException e) {
      throw failed(e);
    }
  }

  @Override
  public void flush() throws IOException {
    try {
      out.flush();
    } catch (IOException e) {
      throw failed(e);
    }
    checkPrintStream();
  }

  @Override
  public void close() throws IOException {
    try {
      out.flush();
      if (closeStream) {
        out.close();
      }
    } catch (IOException e) {
      throw failed(e);
    }
    checkPrintStream();
  }

  private void checkPrintStream() throws IOException {
    if (printStream != null && printStream.checkError()) {
      throw new IOException("cannot write results to " + name + " (the write failed: a full disk or a closed pipe?)");
    }
  }

  private IOException failed(IOException e) {
    return new IOException("cannot write results to " + name + ": " + e.getMessage(), e);
  }
}
