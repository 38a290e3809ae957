package uniqcount.metrics;

import com.sun.net.httpserver.HttpExchange;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import uniqcount.UserException;
import uniqcount.engine.JobStatus;

/**
 * {@code count --metrics-port}: {@code /metrics} in the Prometheus text format (the official
 * client's HTTP server and registry; the job's metrics are read from {@link JobStatus} once per
 * scrape, the JVM's from the client's JVM instrumentation), and {@code /healthz}: 200 while the
 * job runs, 503 once it failed.
 */
public final class MetricsServer implements AutoCloseable {
  private final HTTPServer server;

  private MetricsServer(HTTPServer server) {
    this.server = server;
  }

  /**
   * Starts serving on {@code host:port} (port 0: any free port).
   *
   * @throws UserException one clear line when the address cannot be bound
   */
  public static MetricsServer start(String host, int port, Supplier<JobStatus> status, BooleanSupplier healthy)
      throws UserException {
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(new JobCollector(status));
    JvmMetrics.builder().register(registry);
    InetAddress address;
    try {
      address = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw UserException.usage("--metrics-host " + host + ": unknown host");
    }
    try {
      return new MetricsServer(HTTPServer.builder()
          .inetAddress(address)
          .port(port)
          .registry(registry)
          .defaultHandler(exchange -> health(exchange, healthy))
          .buildAndStart());
    } catch (IOException e) {
      throw UserException.cannotListen("--metrics-port", "--metrics-host", host, port, e);
    }
  }

  private static void health(HttpExchange exchange, BooleanSupplier healthy) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      int code;
      String body;
      if (path.equals("/healthz")) {
        boolean ok = healthy.getAsBoolean();
        code = ok ? 200 : 503;
        body = ok ? "ok\n" : "failed\n";
      } else if (path.equals("/")) {
        code = 200;
        body = "uniqcount: metrics at /metrics, health at /healthz\n";
      } else {
        code = 404;
        body = "not found: " + path + " (metrics at /metrics, health at /healthz)\n";
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(code, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** The port served (the one chosen when 0 was asked for). */
  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.close();
  }
}
