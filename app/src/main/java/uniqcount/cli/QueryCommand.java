package uniqcount.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import uniqcount.UserException;
import uniqcount.engine.Job;
import uniqcount.serve.RangeQuery;
import uniqcount.serve.ResultStore;

/**
 * {@code uniqcount query}: distinct users in any minute-aligned range, offline, from a results
 * file written with {@code --emit-sketch}: the same answer {@code serve}'s {@code /api/uniques}
 * gives, printed as one JSON object.
 */
@Command(
    name = "query",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Distinct users in any minute-aligned range [from, to) from a results file (count --counter hll "
        + "--emit-sketch): the union of the fewest windows that tile it, as one JSON object.")
final class QueryCommand implements Callable<Integer> {
  private final Job.Streams io;

  @Option(names = {"-i", "--input"}, paramLabel = "PATH", required = true, description = "A results file (JSON lines, as count writes them), or - for stdin.")
  String input;

  @Option(names = "--from", paramLabel = "INSTANT", required = true, description = "Start of the range, a whole minute, e.g. 2016-07-11T09:00:00Z.")
  String from;

  @Option(names = "--to", paramLabel = "INSTANT", required = true, description = "End of the range (exclusive), a whole minute.")
  String to;

  QueryCommand(Job.Streams io) {
    this.io = io;
  }

  @Override
  public Integer call() throws IOException {
    ResultStore store = new ResultStore().unbounded();
    try (InputStream in = input.equals("-") ? io.in() : Files.newInputStream(Paths.get(input));
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        store.offerLine(line);
      }
    } catch (NoSuchFileException e) {
      throw UserException.failure(input + ": no such file", e);
    }
    Map<String, Long> foreign = store.foreignByReason();
    if (!foreign.isEmpty()) {
      io.err().println("uniqcount: skipped records that are not results: " + foreign);
    }
    try {
      io.out().println(store.uniques(from, to));
    } catch (RangeQuery.Refused e) {
      throw UserException.failure(e.getMessage());
    }
    return 0;
  }
}
