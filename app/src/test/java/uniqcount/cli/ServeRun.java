package uniqcount.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code uniqcount serve} running in-process on its own thread, stopped by interrupt (as Ctrl-C does). */
public final class ServeRun implements AutoCloseable {
  private static final Pattern URL = Pattern.compile("uniqcount: live page at (http://\\S+)");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final Thread thread;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private volatile int exit = -1;
  private String url;

  /** Starts {@code uniqcount serve ARGS} and waits until it prints its URL (or ends). */
  public ServeRun(String... args) throws Exception {
    this(new ByteArrayInputStream(new byte[0]), args);
  }

  /** As {@link #ServeRun(String...)}, with {@code stdin} as standard input. */
  public ServeRun(InputStream stdin, String... args) throws Exception {
    String[] argv = new String[args.length + 1];
    argv[0] = "serve";
    System.arraycopy(args, 0, argv, 1, args.length);
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    thread = new Thread(() -> exit = Main.execute(argv, stdin, o, e), "test-serve");
    thread.start();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline && thread.isAlive()) {
      Matcher m = URL.matcher(out());
      if (m.find()) {
        url = m.group(1);
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("serve printed no URL; exit " + exit + ", out: " + out() + ", err: " + err());
  }

  /** The page's URL, e.g. {@code http://127.0.0.1:41234/}. */
  public String url() {
    return url;
  }

  /** Standard output so far. */
  public String out() {
    synchronized (out) {
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  /** Standard error so far. */
  public String err() {
    synchronized (err) {
      return err.toString(StandardCharsets.UTF_8);
    }
  }

  /** GET a path; the response. */
  public HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url + path.replaceFirst("^/", ""))).timeout(Duration.ofSeconds(10))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  /** GET a JSON path (status 200 expected). */
  public JsonNode json(String path) throws Exception {
    HttpResponse<String> r = get(path);
    if (r.statusCode() != 200) {
      throw new AssertionError(path + " answered " + r.statusCode() + ": " + r.body());
    }
    return JSON.readTree(r.body());
  }

  /** Polls {@code path} until {@code done} holds of its JSON (or fails after 60 s, showing the last answer). */
  public JsonNode awaitJson(String path, Predicate<JsonNode> done) throws Exception {
    long deadline = System.nanoTime() + 60_000_000_000L;
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      last = json(path);
      if (done.test(last)) {
        return last;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting on " + path + "; last answer: " + last + "; err: " + err());
  }

  /** Whether serve still runs. */
  public boolean alive() {
    return thread.isAlive();
  }

  /** Stops serve (an interrupt, as the Ctrl-C hook does) and returns its exit status. */
  public int stop() throws InterruptedException {
    thread.interrupt();
    thread.join(15_000);
    if (thread.isAlive()) {
      throw new AssertionError("serve did not stop within 15 s");
    }
    return exit;
  }

  @Override
  public void close() {
    if (thread.isAlive()) {
      try {
        stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
