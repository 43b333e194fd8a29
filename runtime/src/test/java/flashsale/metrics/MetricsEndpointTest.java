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

  private HttpResponse<String> get(MetricsEndpoint endpoint, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
