package flashsale.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.credentials.DevCertificates;
import flashsale.credentials.Role;
import flashsale.credentials.TlsFiles;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator's alert reads: the loaded certificate's start and expiry, and whether a change
 * on disk failed to load (a renewal stuck that way ends in an expired certificate).
 */
class TlsGaugesTest {
  @TempDir Path dir;

  @Test
  void expiryFollowsTheLoadedCertificateAndAStuckRenewalShowsAsStale() throws Exception {
    DevCertificates ca = DevCertificates.create(dir.resolve("ca"), "flashsale");
    DevCertificates.Issued first = ca.issueValidFor(Duration.ofHours(1), Role.REGION, "near");
    Path certificate = dir.resolve("link.pem");
    Path key = dir.resolve("link.key");
    Files.copy(first.certificate(), certificate);
    Files.copy(first.privateKey(), key);
    var registry = new SimpleMeterRegistry();
    try (TlsFiles.Loaded tls = new TlsFiles(certificate, key, first.trustedCa(), Duration.ofMillis(100)).load()) {
      TlsGauges.bind(registry, "link", tls);
      double expiry = gauge(registry, "flashsale_tls_certificate_expiry_timestamp_seconds");
      double start = gauge(registry, "flashsale_tls_certificate_start_timestamp_seconds");
      double inAnHour = Instant.now().plus(Duration.ofHours(1)).getEpochSecond();
      assertTrue(Math.abs(expiry - inAnHour) < 60, "expiry " + expiry + " against " + inAnHour);
      assertTrue(start < Instant.now().getEpochSecond() && start > expiry - 2 * 3600, "start " + start);
      assertEquals(0, gauge(registry, "flashsale_tls_files_stale"));
      assertEquals(expiry, gauge(registry, "flashsale_tls_chain_expiry_timestamp_seconds"), "a chain of the leaf alone");

      // A renewal that wrote the certificate but not its key: the node keeps the old pair, and says so.
      DevCertificates.Issued renewed = ca.issueValidFor(Duration.ofDays(30), Role.REGION, "near");
      Files.copy(renewed.certificate(), certificate, StandardCopyOption.REPLACE_EXISTING);
      await(() -> gauge(registry, "flashsale_tls_files_stale") == 1, "the stuck renewal shows");
      assertEquals(expiry, gauge(registry, "flashsale_tls_certificate_expiry_timestamp_seconds"), "the old pair is served");

      Files.copy(renewed.privateKey(), key, StandardCopyOption.REPLACE_EXISTING);
      await(() -> gauge(registry, "flashsale_tls_files_stale") == 0, "the completed renewal loads");
      double renewedExpiry = gauge(registry, "flashsale_tls_certificate_expiry_timestamp_seconds");
      assertTrue(renewedExpiry > expiry + 29 * 24 * 3600, "the renewed certificate's expiry: " + renewedExpiry);

      // A certificate that is not the key's, then taken back: the files are what is loaded again, so not stale.
      Files.copy(ca.issue(Role.REGION, "other").certificate(), certificate, StandardCopyOption.REPLACE_EXISTING);
      await(() -> gauge(registry, "flashsale_tls_files_stale") == 1, "the mismatched pair shows");
      Files.copy(renewed.certificate(), certificate, StandardCopyOption.REPLACE_EXISTING);
      await(() -> gauge(registry, "flashsale_tls_files_stale") == 0, "the files back to what is loaded");
    }
  }

  private static double gauge(SimpleMeterRegistry registry, String name) {
    return registry.get(name).tag("use", "link").gauge().value();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError(what + " within 5 s");
      Thread.sleep(50);
    }
  }
}
