package flashsale.system.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import flashsale.client.cluster.DevPki;
import flashsale.credentials.DevCertificates;
import flashsale.credentials.Role;
import flashsale.net.FreePorts;
import flashsale.store.testing.RedisServer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A region process started from its jar with certificate files, as deployed: its /metrics shows
 * the link's and the buyer port's certificates (the expiry alerts' series, bound in {@code
 * RegionMain}, which the in-process clusters do not run), and follows both files when they are
 * renewed in place. The link is up over mutual TLS with those files, to an arbiter process.
 */
class RegionCertificateGaugesTest {
  private static final String EXPIRY = "flashsale_tls_certificate_expiry_timestamp_seconds";
  private static final String STALE = "flashsale_tls_files_stale";
  private final HttpClient http = HttpClient.newHttpClient();

  @org.junit.jupiter.api.AfterEach
  void closeClient() {
    http.close();
  }

  @TempDir Path dir;

  @Test
  void aRegionsMetricsShowItsLinkAndBuyerCertificatesAndFollowTheirRenewal() throws Exception {
    DevPki pki = DevPki.create(dir);
    DevCertificates.Issued link = pki.renew(Role.REGION, "near", Duration.ofHours(5));
    DevCertificates.Issued buyers = pki.renew(Role.REGION, "near-buyers", Duration.ofHours(6));
    int metricsPort = FreePorts.pick();
    try (RedisServer redis = RedisServer.start();
        ArbiterProcess arbiter = new ArbiterProcess("a1", redis.uri(), ArbiterProcess.REGION_TIMEOUT_MS, pki).start();
        RegionProcess region = new RegionProcess("near", List.of(arbiter.address())).linkTls(pki)) {
      region.start(List.of("--metrics-port", Integer.toString(metricsPort), "--tls-cert", buyers.certificate().toString(),
          "--tls-key", buyers.privateKey().toString(), "--tls-reload-s", "1"));
      String metrics = "http://127.0.0.1:" + metricsPort + "/metrics";

      // Welcomed over mutual TLS with the link files: the series describe a working link.
      awaitValue(metrics, "flashsale_arbiter_link_up", "", 1, Duration.ofSeconds(60));
      assertEquals(notAfterSeconds(link.certificate()), value(scrape(metrics), EXPIRY, "link").orElseThrow(), 0.001,
          "the link certificate's expiry");
      assertEquals(notAfterSeconds(buyers.certificate()), value(scrape(metrics), EXPIRY, "buyers").orElseThrow(), 0.001,
          "the buyer port's certificate's expiry");
      assertEquals(0, value(scrape(metrics), STALE, "link").orElseThrow());
      assertEquals(0, value(scrape(metrics), STALE, "buyers").orElseThrow());

      // Renewed in place, both are re-read (--tls-reload-s 1) and shown, with no restart.
      DevCertificates.Issued renewedLink = pki.renew(Role.REGION, "near", Duration.ofHours(7));
      DevCertificates.Issued renewedBuyers = pki.renew(Role.REGION, "near-buyers", Duration.ofHours(8));
      awaitValue(metrics, EXPIRY, "link", notAfterSeconds(renewedLink.certificate()), Duration.ofSeconds(20));
      awaitValue(metrics, EXPIRY, "buyers", notAfterSeconds(renewedBuyers.certificate()), Duration.ofSeconds(20));
      String renewed = scrape(metrics);
      assertEquals(0, value(renewed, STALE, "link").orElseThrow(), "the renewed link files loaded");
      assertEquals(0, value(renewed, STALE, "buyers").orElseThrow(), "the renewed buyer files loaded");
    }
  }

  private void awaitValue(String url, String series, String use, double expected, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        last = scrape(url);
        OptionalDouble seen = value(last, series, use);
        if (seen.isPresent() && Math.abs(seen.getAsDouble() - expected) < 0.001) return;
      } catch (java.io.IOException notYetServing) {
        last = notYetServing.toString();
      }
      Thread.sleep(100);
    }
    fail(series + (use.isEmpty() ? "" : "{use=\"" + use + "\"}") + " never became " + expected + " within " + timeout
        + " (the region's log: system-tests/target/fault-logs/region-near.log); last scrape:\n" + last.lines().filter(l -> l.startsWith("flashsale_tls") || l.startsWith(series)
            || l.startsWith("java.")).reduce("", (a, b) -> a + b + "\n"));
  }

  private String scrape(String url) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    // 503 while the node starts, before its meters are served
    if (response.statusCode() != 200) throw new java.io.IOException(url + " answered " + response.statusCode());
    return response.body();
  }

  /** The sample of {@code series} (with {@code use="…"} when given), as Prometheus' text format writes it. */
  private static OptionalDouble value(String scrape, String series, String use) {
    String labels = use.isEmpty() ? "(?:\\{[^}]*\\})?" : "\\{[^}]*use=\"" + Pattern.quote(use) + "\"[^}]*\\}";
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + labels + " (\\S+)$").matcher(scrape);
    return m.find() ? OptionalDouble.of(Double.parseDouble(m.group(1))) : OptionalDouble.empty();
  }

  private static double notAfterSeconds(Path certificate) throws Exception {
    try (InputStream in = Files.newInputStream(certificate)) {
      X509Certificate x509 = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      return x509.getNotAfter().toInstant().getEpochSecond();
    }
  }
}
