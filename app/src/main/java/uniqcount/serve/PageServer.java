package uniqcount.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import uniqcount.UserException;

/**
 * The live page of {@code serve} on the JDK's HTTP server:
 *
 * <pre>
 * /                 the page (static HTML; it draws everything from the events below)
 * /assets/...       its script and style sheet, and uPlot from its WebJar (nothing from the network)
 * /api/windows      JSON: the latest record of every window, newest first, plus the stats;
 *                   ?window=KIND, ?hours=N (windows starting less than N hours before the newest), ?limit=N
 * /api/events       Server-Sent Events: the page's view (as /api/windows) at once and after every
 *                   change, at most every {@value #COALESCE_MILLIS} ms; a comment every {@value #HEARTBEAT_MILLIS} ms
 * /healthz          "ok"
 * </pre>
 */
public final class PageServer implements AutoCloseable {
  /** Least time between two events to one page: a busy topic does not flood a browser. */
  static final long COALESCE_MILLIS = 500;
  /** A comment this often keeps proxies from closing a quiet stream and finds pages that left. */
  static final long HEARTBEAT_MILLIS = 15_000;
  /** Pages connected at once; more get 503 (each holds a thread). */
  static final int MAX_EVENT_STREAMS = 64;

  private static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist/";
  private static final String PAGE = "uniqcount/serve/";
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
      + "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private record Asset(byte[] bytes, String type) {}

  private final ResultStore store;
  private final HttpServer server;
  private final ExecutorService threads;
  private final Map<String, Asset> assets = new HashMap<>();
  private final Semaphore streams = new Semaphore(MAX_EVENT_STREAMS);
  private final String url;

  private PageServer(ResultStore store, HttpServer server, ExecutorService threads, String url) {
    this.store = store;
    this.server = server;
    this.threads = threads;
    this.url = url;
  }

  /**
   * Listens on {@code host:port} (0: any free port) and serves {@code store}.
   *
   * @throws UserException one line when the address cannot be listened on: a port in use, a
   *     privileged port, an address not on this machine, an unknown host
   */
  public static PageServer start(ResultStore store, String host, int port) {
    InetSocketAddress address = new InetSocketAddress(host, port);
    if (address.isUnresolved()) {
      throw UserException.usage("--http-host: unknown host '" + host + "'");
    }
    HttpServer server;
    try {
      server = HttpServer.create(address, 64);
    } catch (IOException e) {
      throw UserException.cannotListen("--http-port", "--http-host", host, port, e);
    }
    AtomicInteger n = new AtomicInteger();
    ExecutorService threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "uniqcount-http-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    int actual = server.getAddress().getPort();
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    PageServer page = new PageServer(store, server, threads, "http://" + h + ":" + actual + "/");
    page.asset("/", PAGE + "index.html", "text/html; charset=utf-8");
    page.asset("/assets/app.js", PAGE + "app.js", "text/javascript; charset=utf-8");
    page.asset("/assets/app.css", PAGE + "app.css", "text/css; charset=utf-8");
    page.asset("/assets/uplot/uPlot.iife.min.js", UPLOT + "uPlot.iife.min.js", "text/javascript; charset=utf-8");
    page.asset("/assets/uplot/uPlot.min.css", UPLOT + "uPlot.min.css", "text/css; charset=utf-8");
    server.setExecutor(threads);
    server.createContext("/", page::handle);
    server.start();
    return page;
  }

  private void asset(String path, String resource, String type) {
    try (InputStream in = PageServer.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("resource " + resource + " is missing from the build");
      }
      assets.put(path, new Asset(in.readAllBytes(), type));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read resource " + resource, e);
    }
  }

  /** The page's address, e.g. {@code http://127.0.0.1:8080/}. */
  public String url() {
    return url;
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      String method = ex.getRequestMethod();
      String path = ex.getRequestURI().getPath();
      ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
      ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
      if (!method.equals("GET") && !method.equals("HEAD")) {
        ex.getResponseHeaders().set("Allow", "GET, HEAD");
        send(ex, 405, "text/plain; charset=utf-8", "method not allowed\n");
        return;
      }
      switch (path) {
        case "/api/windows":
          windows(ex);
          return;
        case "/api/events":
          events(ex);
          return;
        case "/api/uniques":
          uniques(ex);
          return;
        case "/healthz":
          send(ex, 200, "text/plain; charset=utf-8", "ok\n");
          return;
        default:
          Asset a = assets.get(path);
          if (a == null) {
            send(ex, 404, "text/plain; charset=utf-8", "not found\n");
            return;
          }
          if (path.equals("/")) {
            ex.getResponseHeaders().set("Content-Security-Policy", CSP);
          }
          ex.getResponseHeaders().set("Cache-Control", "no-cache");
          send(ex, 200, a.type(), a.bytes());
      }
    } finally {
      ex.close();
    }
  }

  private void windows(HttpExchange ex) throws IOException {
    ResultStore.Query q;
    try {
      q = query(ex.getRequestURI().getRawQuery());
    } catch (IllegalArgumentException e) {
      StringBuilder sb = new StringBuilder("{\"error\":");
      Json.string(sb, e.getMessage());
      send(ex, 400, "application/json", sb.append("}\n").toString());
      return;
    }
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    send(ex, 200, "application/json", store.toJson(q) + "\n");
  }

  /** {@code /api/uniques?from=…&to=…}: distinct users in any minute-aligned range held ({@link RangeQuery}). */
  private void uniques(HttpExchange ex) throws IOException {
    String from = null;
    String to = null;
    String raw = ex.getRequestURI().getRawQuery();
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    try {
      for (String pair : raw == null ? new String[0] : raw.split("&")) {
        int eq = pair.indexOf('=');
        // an instant never holds a space: a '+' of an offset (+02:00) stays a '+'
        String name = URLDecoder.decode((eq < 0 ? pair : pair.substring(0, eq)).replace("+", "%2B"), StandardCharsets.UTF_8);
        String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1).replace("+", "%2B"), StandardCharsets.UTF_8);
        if (name.equals("from")) {
          from = value;
        } else if (name.equals("to")) {
          to = value;
        }
      }
    } catch (IllegalArgumentException e) {
      send(ex, 400, "application/json", "{\"error\":\"the query string is not URL-encoded\"}\n");
      return;
    }
    try {
      send(ex, 200, "application/json", store.uniques(from, to) + "\n");
    } catch (RangeQuery.Refused e) {
      StringBuilder sb = new StringBuilder("{\"error\":");
      Json.string(sb, e.getMessage());
      send(ex, 400, "application/json", sb.append("}\n").toString());
    }
  }

  /** The query of {@code /api/windows}: {@code window}, {@code hours}, {@code limit}; anything else is refused. */
  static ResultStore.Query query(String raw) {
    if (raw == null || raw.isEmpty()) {
      return ResultStore.Query.PAGE;
    }
    String window = null;
    int hours = -1;
    int limit = -1;
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      switch (name) {
        case "window":
          if (!ResultJson.isWindow(value)) {
            throw new IllegalArgumentException("window must be one of minute, hour, day, week, month, year, rolling-<D>");
          }
          window = value;
          break;
        case "hours":
          hours = positive("hours", value, 24 * 800);
          break;
        case "limit":
          limit = positive("limit", value, 100_000);
          break;
        default:
          throw new IllegalArgumentException("unknown parameter (window, hours and limit are known)");
      }
    }
    return new ResultStore.Query(window, limit, hours);
  }

  private static int positive(String name, String value, int max) {
    try {
      int n = Integer.parseInt(value);
      if (n >= 1 && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(name + " must be a whole number from 1 to " + max);
  }

  /** Server-Sent Events: the page's view now and after each change; ends when the page leaves or the server stops. */
  private void events(HttpExchange ex) throws IOException {
    if (!streams.tryAcquire()) {
      ex.getResponseHeaders().set("Retry-After", "10");
      send(ex, 503, "text/plain; charset=utf-8", "too many pages connected\n");
      return;
    }
    try {
      ex.getResponseHeaders().set("Cache-Control", "no-store");
      if (ex.getRequestMethod().equals("HEAD")) {
        send(ex, 200, "text/event-stream; charset=utf-8", new byte[0]);
        return;
      }
      ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
      ex.sendResponseHeaders(200, 0); // no length: a stream
      OutputStream out = ex.getResponseBody();
      out.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      long seen = Long.MIN_VALUE;
      while (true) {
        long now = store.awaitChange(seen, HEARTBEAT_MILLIS);
        if (now < 0) {
          return; // the server is stopping
        }
        if (now == seen) {
          out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
          out.flush();
          continue;
        }
        seen = store.version();
        // one line: the JSON holds no raw line breaks (they are escaped in strings)
        out.write(("data: " + store.toJson(ResultStore.Query.PAGE) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        Thread.sleep(COALESCE_MILLIS);
      }
    } catch (IOException e) {
      // the page went away: its stream ends here
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      streams.release();
    }
  }

  private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
    send(ex, status, type, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Stops listening, ends every event stream and waits briefly for the threads. */
  @Override
  public void close() {
    store.close();
    server.stop(0);
    threads.shutdownNow();
    try {
      threads.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
