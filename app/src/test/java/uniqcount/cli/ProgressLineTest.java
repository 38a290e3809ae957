package uniqcount.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uniqcount.engine.JobStatus;

class ProgressLineTest {
  private static final long SEC = 1_000_000_000L;

  private static JobStatus status(long frames, long bytes, JobStatus.Progress progress, long watermark,
      List<JobStatus.PartitionStatus> partitions) {
    return new JobStatus(true, frames, frames, Map.of(), 0, 0, bytes, 0, 0, Map.of(), List.of(), watermark, partitions,
        progress, new JobStatus.Commits(false, 0, 0, -1, 0), 0, 0);
  }

  @Test
  void aFileRunShowsPercentRatesEtaAndEventTimeFromTheLastSeconds() {
    AtomicReference<JobStatus> now = new AtomicReference<>();
    ProgressLine line = new ProgressLine(new PrintStream(new ByteArrayOutputStream()), now::get);
    long total = 1000L << 20;
    // the first two seconds slow, then 100 MiB/s of input and 50k frames/s: the rates follow the last 5 s
    line.render(status(0, 0, new JobStatus.Progress("bytes", 0, total, false), Long.MIN_VALUE, List.of()), 0);
    line.render(status(1_000, 1_000_000, new JobStatus.Progress("bytes", 1L << 20, total, false), Long.MIN_VALUE, List.of()),
        2 * SEC);
    String text = null;
    for (int s = 3; s <= 10; s++) {
      long done = (1L << 20) + (s - 2) * (100L << 20);
      text = line.render(status(1_000 + (s - 2) * 50_000L, 1_000_000 + (s - 2) * 200_000_000L,
          new JobStatus.Progress("bytes", done, total, false), 1_468_244_460L, List.of()), s * SEC);
    }
    // at 10 s: 801 MiB of 1000 done, 199 MiB left at 100 MiB/s: 2 s
    assertEquals("uniqcount:  80.1% of 1000.0 MiB, ETA 0:02, 50.0k frames/s, 200.0 MB/s, event time 2016-07-11T13:41:00Z,"
        + " 401.0k frames", text);
  }

  @Test
  void aKafkaCatchUpCountsRecordsThenSaysLiveWithTheLag() {
    JobStatus catchingUp = status(5_000, 0, new JobStatus.Progress("records", 2_500, 10_000, false), Long.MIN_VALUE,
        List.of(new JobStatus.PartitionStatus(0, Long.MIN_VALUE, 4_000), new JobStatus.PartitionStatus(1, Long.MIN_VALUE, 3_500)));
    assertEquals("uniqcount:  25.0% of 10.0k records, ETA 0:08, 1.0k frames/s, 0.5 MB/s, 5.0k frames",
        ProgressLine.format(catchingUp, 1000, 0.5, 1000));
    JobStatus live = status(20_000, 0, new JobStatus.Progress("records", 10_000, 10_000, true), 1_468_244_460L,
        List.of(new JobStatus.PartitionStatus(0, 1_468_244_460L, 12), new JobStatus.PartitionStatus(1, 1_468_244_461L, -1)));
    assertEquals("uniqcount: live, lag 12 records, 150 frames/s, 0.0 MB/s, event time 2016-07-11T13:41:00Z, 20.0k frames",
        ProgressLine.format(live, 150, 0.01, 0));
  }

  @Test
  void aNarrowTerminalGetsTheLineCutNotWrapped() {
    ByteArrayOutputStream terminal = new ByteArrayOutputStream();
    JobStatus s = status(123_456, 0, new JobStatus.Progress("bytes", 1, 2, false), 1_468_244_460L, List.of());
    ProgressLine line = new ProgressLine(new PrintStream(terminal, true, StandardCharsets.UTF_8), () -> s, 40);
    line.draw(0);
    assertEquals("\r\033[Kuniqcount:  50.0% of 0.0 KiB, ETA --:--", terminal.toString(StandardCharsets.UTF_8)); // 39 columns
  }

  @Test
  void stdinHasNoPercentNoEtaAndAStalledRunNoEta() {
    assertEquals("uniqcount: 2.0k frames/s, 1.0 MB/s, 1.23M frames",
        ProgressLine.format(status(1_234_567, 0, new JobStatus.Progress("bytes", 99, -1, false), Long.MIN_VALUE, List.of()),
            2000, 1, 0));
    assertEquals("uniqcount:  50.0% of 2.0 KiB, ETA --:--, 0 frames/s, 0.0 MB/s, 10 frames",
        ProgressLine.format(status(10, 0, new JobStatus.Progress("bytes", 1024, 2048, false), Long.MIN_VALUE, List.of()),
            0, 0, 0));
    assertEquals("1:01:01", ProgressLine.duration(3661));
    assertEquals("0:59", ProgressLine.duration(58.2));
  }

  @Test
  void aMessageErasesTheLineFirstSoItStaysWholeAndTheLineComesBackAfterIt() throws Exception {
    ByteArrayOutputStream terminal = new ByteArrayOutputStream();
    JobStatus s = status(10, 0, new JobStatus.Progress("bytes", 1, 2, false), Long.MIN_VALUE, List.of());
    ProgressLine line = new ProgressLine(new PrintStream(terminal, true, StandardCharsets.UTF_8), () -> s);
    line.draw(0);
    line.messages().println("uniqcount: partition 0 resumes at offset 5");
    line.draw(SEC);
    line.stop();
    String out = terminal.toString(StandardCharsets.UTF_8);
    int message = out.indexOf("uniqcount: partition 0 resumes at offset 5\n");
    assertTrue(message > 0, out);
    assertTrue(out.substring(0, message).endsWith("\r\033[K"), "the line is erased before the message: " + out);
    assertTrue(out.indexOf("50.0%", message) > message, "and drawn again after it");
    assertTrue(out.endsWith("\r\033[K"), "stop leaves no line behind");
  }

  @Test
  void aRunWhoseStderrIsAFileKeepsThePeriodicLines(@TempDir Path dir) throws Exception {
    assertFalse(ProgressLine.stderrIsTerminal(), "the test's stderr is not a terminal");
    Path in = dir.resolve("in.jsonl");
    Files.writeString(in, "{\"uid\":\"a\",\"ts\":1468244400}\n");
    Cli.Run r = Cli.run("count", "-i", in.toString(), "--stats-interval", "1s");
    assertEquals(0, r.exit, r.err);
    assertFalse(r.err.contains("\033[K"), r.err);
    assertTrue(r.err.startsWith("uniqcount: done frames=1 "), r.err);
    Cli.Run forced = Cli.run("count", "-i", in.toString(), "--progress", "always");
    assertEquals(0, forced.exit, forced.err);
    assertTrue(forced.err.contains("uniqcount: done frames=1 "), forced.err);
    int done = forced.err.indexOf("uniqcount: done frames=1 ");
    assertFalse(forced.err.substring(done).contains("uniqcount:  "), "no line drawn after the done line: " + forced.err);
    Cli.Run bad = Cli.run("count", "-i", in.toString(), "--progress", "sometimes");
    assertEquals(2, bad.exit);
    assertEquals("uniqcount count: --progress sometimes: expected auto, always or never\n", bad.err);
  }
}
