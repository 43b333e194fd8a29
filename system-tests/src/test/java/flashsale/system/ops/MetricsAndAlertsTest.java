package flashsale.system.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import flashsale.client.cluster.LocalCluster;
import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.metrics.MetricsEndpoint;
import flashsale.store.memory.InMemoryArbiterStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a node's /metrics shows right after start, checked by promtool; and the alert rules and
 * Grafana dashboard in deploy/ refer only to series that running nodes expose.
 */
class MetricsAndAlertsTest {
  static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();
  private static final Pattern SERIES = Pattern.compile("\\b((?:flashsale|grpc_server|jvm|process)_[a-z0-9_]+)\\b");

  private static LocalCluster cluster;
  private static String arbiterScrape;
  private static String regionScrape;

  @BeforeAll
  static void start() throws Exception {
    // Mutual TLS on the arbiter link, as deployed: the TLS gauges are only there with TLS files.
    cluster = LocalCluster.start(new InMemoryArbiterStore(),
        List.of(new RegionSpec("beijing", 0, Duration.ZERO), new RegionSpec("shanghai", 0, Duration.ZERO)), 2,
        LocalCluster.ModeStores.none(),
        flashsale.client.cluster.DevPki.create(java.nio.file.Files.createTempDirectory("metrics-pki")))
        .awaitServing(Duration.ofSeconds(60));
    // jvm_gc_pause appears with the JVM's first collection after the node binds its GC meters; a
    // quick start may see none (CI did once), so make one rather than depend on the allocation rate.
    System.gc();
    Thread.sleep(1_500); // one sample of the arbiter's per-region gauges (every 1 s), and the GC notification
    arbiterScrape = scrape(cluster.arbiter().metrics());
    regionScrape = scrape(cluster.region("beijing").metrics());
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  private static String scrape(io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry) throws Exception {
    try (var endpoint = MetricsEndpoint.start(registry, 0)) {
      var response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode());
      return response.body();
    }
  }

  private static boolean exposes(String scrape, String series) {
    return Pattern.compile("(?m)^" + Pattern.quote(series) + "[{ ]").matcher(scrape).find();
  }

  @Test
  void histogramsAndGaugesArePresentRightAfterStart() {
    for (String series : List.of("flashsale_decision_latency_seconds_bucket", "flashsale_release_wait_seconds_bucket",
        "flashsale_persist_latency_seconds_bucket", "flashsale_decisions_total", "flashsale_leader",
        "flashsale_leader_state", "flashsale_lease_epoch", "flashsale_partition_leader{partition=\"0\"}",
        "flashsale_partition_lease_epoch{partition=\"0\"}", "flashsale_region_watermark_lag_seconds",
        "flashsale_region_clock_offset_seconds", "flashsale_region_connected", "flashsale_rejected_tickets_total",
        "grpc_server_processing_duration_seconds_bucket", "jvm_memory_used_bytes", "jvm_gc_pause_seconds_count",
        "flashsale_tls_certificate_expiry_timestamp_seconds{use=\"server\"}", "flashsale_tls_files_stale{use=\"server\"}")) {
      assertTrue(exposes(arbiterScrape, series), "arbiter lacks " + series + "\n" + arbiterScrape);
    }
    for (String series : List.of("flashsale_pending_purchases", "flashsale_arbiter_link_up",
        "flashsale_clock_offset_seconds", "flashsale_clock_flagged", "flashsale_stamps_pushed_total",
        "flashsale_read_order_overdue_total", "flashsale_purchase_answers_total", "grpc_server_processing_duration_seconds_bucket", "jvm_threads_live_threads")) {
      assertTrue(exposes(regionScrape, series), "region lacks " + series + "\n" + regionScrape);
    }
    assertTrue(regionScrape.contains("grpc_server_processing_duration_seconds_count{method=\"Purchase\",method_type=\"UNARY\","
        + "service=\"flashsale.v1.FlashSaleService\",status_code=\"OK\"} 0"), "Purchase series before the first call");
    // The payment path is metered too: a confirm failing through the payment window shows.
    assertTrue(arbiterScrape.contains("grpc_server_processing_duration_seconds_count{method=\"ConfirmPayment\",method_type=\"UNARY\","
        + "service=\"flashsale.v1.OrderService\",status_code=\"OK\"} 0"), "ConfirmPayment series before the first call");
    // one series per region node (a region may run several) and partition led here
    assertTrue(java.util.regex.Pattern.compile(
        "flashsale_region_watermark_lag_seconds\\{node=\"[^\"]+\",partition=\"0\",region=\"shanghai\"}")
        .matcher(arbiterScrape).find(), arbiterScrape);
  }

  @Test
  void promtoolAcceptsWhatNodesExpose() throws Exception {
    for (String scrape : List.of(arbiterScrape, regionScrape)) {
      var result = Promtool.run(scrape, DEPLOY, "check", "metrics");
      assertEquals(0, result.exitCode(), result.output());
    }
  }

  @Test
  void alertRulesAndScrapeConfigAreValid() throws Exception {
    var rules = Promtool.run(null, DEPLOY, "check", "rules", "prometheus/alerts.yml");
    assertEquals(0, rules.exitCode(), rules.output());
    var config = Promtool.run(null, DEPLOY, "check", "config", "prometheus/prometheus.yml");
    assertEquals(0, config.exitCode(), config.output());
  }

  /** The rules' own unit tests: a node that cannot be scraped, no leader series at all, GC pauses summed. */
  @Test
  void alertsFireWhenTheNodesSeriesAreGone() throws Exception {
    var tests = Promtool.run(null, DEPLOY.resolve("prometheus"), "test", "rules", "alerts_test.yml");
    assertEquals(0, tests.exitCode(), tests.output());
  }

  @Test
  void alertsAndDashboardUseOnlySeriesNodesExpose() throws Exception {
    Set<String> used = new TreeSet<>(seriesIn(Files.readString(DEPLOY.resolve("prometheus/alerts.yml"))));
    var dashboard = JsonParser.parseString(Files.readString(DEPLOY.resolve("grafana/flashsale-dashboard.json")))
        .getAsJsonObject();
    int queries = 0;
    for (var panel : dashboard.getAsJsonArray("panels")) {
      for (var target : panel.getAsJsonObject().getAsJsonArray("targets")) {
        used.addAll(seriesIn(target.getAsJsonObject().get("expr").getAsString()));
        queries++;
      }
    }
    assertTrue(queries >= 10 && used.size() >= 15, "dashboard and alerts cover the node's series: " + used);
    for (String series : used) {
      assertTrue(exposes(arbiterScrape, series) || exposes(regionScrape, series), "no node exposes " + series);
    }
  }

  private static Set<String> seriesIn(String text) {
    Set<String> names = new TreeSet<>();
    Matcher m = SERIES.matcher(text);
    while (m.find()) names.add(m.group(1));
    return names;
  }
}
