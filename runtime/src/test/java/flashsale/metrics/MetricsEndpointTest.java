package flashsale.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** What a Prometheus scrape and a Kubernetes HTTP readiness probe see, before and after the node is ready. */
class MetricsEndpointTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void readyzFollowsTheNodesHealthAndMetricsWaitForTheirRegistry() throws Exception {
    AtomicBoolean serving = new AtomicBoolean(false);
    try (MetricsEndpoint endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0))) {
      assertEquals(503, get(endpoint, "/readyz").statusCode(), "bound before the node starts: not ready");
      assertEquals(503, get(endpoint, "/metrics").statusCode(), "no registry yet");

      var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      registry.counter("probe_test_total").increment();
      endpoint.serve(registry, serving::get);
      HttpResponse<String> notYet = get(endpoint, "/readyz");
      assertEquals(503, notYet.statusCode());
      assertEquals("NOT_SERVING", notYet.body().strip());
      serving.set(true);
      HttpResponse<String> ready = get(endpoint, "/readyz");
      assertEquals(200, ready.statusCode());
      assertEquals("SERVING", ready.body().strip());
      assertTrue(get(endpoint, "/metrics").body().contains("probe_test_total 1.0"));
      serving.set(false);
      assertEquals(503, get(endpoint, "/readyz").statusCode(), "a leader that steps down is taken out at once");
    }
  }

  /** A connection that sent half a request and waits holds up nobody: the probe and the scrape are answered. */
  @Test
  void aHalfSentRequestDoesNotHoldUpTheProbe() throws Exception {
    try (MetricsEndpoint endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0));
        java.net.Socket stalled = new java.net.Socket("127.0.0.1", endpoint.port())) {
      endpoint.serve(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), () -> true);
      stalled.getOutputStream().write("GET /readyz HTTP/1.1\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      stalled.getOutputStream().flush();
      Thread.sleep(200); // the stalled request reaches the server first (waiting for it, not timing anything)
      HttpResponse<String> probe = http.sendAsync(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + endpoint.port() + "/readyz")).build(), HttpResponse.BodyHandlers.ofString())
          .get(5, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(200, probe.statusCode());
    }
  }

  private HttpResponse<String> get(MetricsEndpoint endpoint, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
