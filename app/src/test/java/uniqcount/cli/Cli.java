package uniqcount.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Runs uniqcount in-process for tests and reads its JSON-lines results. */
public final class Cli {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Cli() {}

  /** Result of one in-process run. */
  public static final class Run {
    public int exit;
    public String out;
    public String err;

    /** Every result record printed on stdout, in order. */
    public List<JsonNode> records() {
      return parse(out);
    }
  }

  /** Runs the command line with {@code stdin} as standard input. */
  public static Run run(InputStream stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Run r = new Run();
    r.exit = Main.execute(args, stdin, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    r.out = out.toString(StandardCharsets.UTF_8);
    r.err = err.toString(StandardCharsets.UTF_8);
    return r;
  }

  /** Runs the command line with an empty standard input. */
  public static Run run(String... args) {
    return run(new ByteArrayInputStream(new byte[0]), args);
  }

  /** The records of JSON lines (blank lines skipped). */
  public static List<JsonNode> parse(String jsonLines) {
    List<JsonNode> list = new ArrayList<>();
    for (String line : jsonLines.split("\n")) {
      if (!line.isEmpty()) {
        try {
          list.add(JSON.readTree(line));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return list;
  }

  /** {@code window/start} of a result record. */
  public static String key(JsonNode record) {
    return record.get("window").asText() + "/" + record.get("start").asText();
  }

  /** The last record of every window in JSON lines, by {@code window/start}. */
  public static Map<String, JsonNode> lastPerWindow(String jsonLines) {
    Map<String, JsonNode> last = new TreeMap<>();
    for (JsonNode r : parse(jsonLines)) {
      last.put(key(r), r);
    }
    return last;
  }

  /** {@code "uniques/frames"} of the last record of every window in JSON lines. */
  public static Map<String, String> lastValuesPerWindow(String jsonLines) {
    Map<String, String> values = new TreeMap<>();
    lastPerWindow(jsonLines).forEach((k, r) -> values.put(k, r.get("uniques") + "/" + r.get("frames")));
    return values;
  }
}
