package flashsale.metrics;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * Serves a registry's metrics in the Prometheus text format on {@code GET /metrics}, for
 * scraping, and the node's readiness on {@code GET /readyz} (200 while its gRPC health says
 * SERVING, else 503), for probes that cannot speak gRPC over mutual TLS (Kubernetes' gRPC probe
 * has no TLS). The JDK's small HTTP server is enough for a scrape every few seconds. A node binds
 * it before it starts (a taken port fails the start), then hands it the registry to serve.
 */
public final class MetricsEndpoint implements AutoCloseable {
  /** How long a request may take to arrive, and its answer to be read, before the connection is cut. */
  static final long REQUEST_SECONDS = 10;
  private final HttpServer server;
  private volatile PrometheusMeterRegistry registry;
  private volatile BooleanSupplier ready = () -> false;

  private MetricsEndpoint(HttpServer server) {
    this.server = server;
  }

  /** Starts serving {@code registry} on {@code port} (0 picks a free one) on all interfaces. */
  public static MetricsEndpoint start(PrometheusMeterRegistry registry, int port) throws IOException {
    return start(new InetSocketAddress(port)).serve(registry);
  }

  /** Binds {@code address}; answers 503 until {@link #serve} is given a registry. */
  public static MetricsEndpoint start(InetSocketAddress address) throws IOException {
    // The JDK server waits forever for a request's end or a reader of its answer unless told
    // otherwise (read once, when its first server starts): a client that sends half a request
    // is cut off after these seconds instead of holding its thread.
    System.getProperties().putIfAbsent("sun.net.httpserver.maxReqTime", Long.toString(REQUEST_SECONDS));
    System.getProperties().putIfAbsent("sun.net.httpserver.maxRspTime", Long.toString(REQUEST_SECONDS));
    HttpServer server;
    try {
      server = HttpServer.create(address, 0);
    } catch (BindException e) {
      throw new IOException("metrics port " + address.getPort() + " on " + address.getHostString() + ": " + e.getMessage(), e);
    }
    MetricsEndpoint endpoint = new MetricsEndpoint(server);
    server.createContext("/metrics", exchange -> {
      PrometheusMeterRegistry served = endpoint.registry;
      byte[] body = served == null ? new byte[0] : served.scrape().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      exchange.sendResponseHeaders(served == null ? 503 : 200, body.length == 0 ? -1 : body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.createContext("/readyz", exchange -> {
      boolean serving = endpoint.ready.getAsBoolean();
      byte[] body = (serving ? "SERVING\n" : "NOT_SERVING\n").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(serving ? 200 : 503, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    // A thread per exchange, kept a while for the next: one connection that stalls (half a request,
    // an answer nobody reads) must not hold up the readiness probe or the next scrape, as it did on
    // a single thread. Platform threads: on JDK 21 a virtual one blocked in the server's
    // synchronized reads holds its carrier, and a few stalled clients would hold them all.
    server.setExecutor(Executors.newCachedThreadPool(Thread.ofPlatform().daemon().name("metrics-http-", 0).factory()));
    server.start();
    return endpoint;
  }

  public MetricsEndpoint serve(PrometheusMeterRegistry served) {
    this.registry = served;
    return this;
  }

  /** As {@link #serve(PrometheusMeterRegistry)}, with {@code /readyz} answering {@code serving}. */
  public MetricsEndpoint serve(PrometheusMeterRegistry served, BooleanSupplier serving) {
    this.ready = serving;
    return serve(served);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
