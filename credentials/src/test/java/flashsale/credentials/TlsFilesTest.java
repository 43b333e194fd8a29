package flashsale.credentials;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsFilesTest {
  @Test
  void aReloadPeriodThatIsNotPositiveIsRefusedNotQuietlyReplaced(@TempDir Path dir) throws Exception {
    DevCertificates.Issued node = DevCertificates.create(dir, "test.flashsale").issue(Role.ARBITER, "a1");
    for (Duration wrong : new Duration[] {Duration.ZERO, Duration.ofSeconds(-5)}) {
      var e = assertThrows(IllegalArgumentException.class,
          () -> new TlsFiles(node.certificate(), node.privateKey(), node.trustedCa(), wrong));
      assertTrue(e.getMessage().contains("reload period must be positive"), e.getMessage());
    }
    assertEquals(TlsFiles.DEFAULT_RELOAD,
        new TlsFiles(node.certificate(), node.privateKey(), node.trustedCa(), null).reloadPeriod(), "null: the default");
  }

  /**
   * A CA bundle read while being rewritten ({@code cat new.pem old.pem > ca.pem}) can hold only its
   * first certificate: taken as a CA removal, it would end every stream the other CA signed and
   * reconnect every channel. A removal is taken only once a second read shows the same file.
   */
  @Test
  void aCaBundleCaughtMidWriteIsNotTakenAsACaRemoval(@TempDir Path dir) throws Exception {
    DevCertificates first = DevCertificates.create(dir.resolve("a"), "test.flashsale");
    DevCertificates second = DevCertificates.create(dir.resolve("b"), "test.flashsale");
    DevCertificates.Issued node = first.issue(Role.ARBITER, "a1");
    Path bundle = bundleOf(dir, first, second);
    String both = Files.readString(bundle);
    try (TlsFiles.Loaded tls = new TlsFiles(node.certificate(), node.privateKey(), bundle, Duration.ofHours(1)).load()) {
      AtomicInteger removals = new AtomicInteger();
      tls.onCaRemoved(removals::incrementAndGet);
      DevCertificates.Issued signedBySecond = second.issue(Role.REGION, "far");
      List<X509Certificate> farChain = chainOf(signedBySecond.certificate());
      assertTrue(tls.trusts(farChain));

      Files.writeString(bundle, Files.readString(first.caPath())); // half written
      tls.reloadNow();
      assertTrue(tls.trusts(farChain), "one read of a removal is not taken");
      Files.writeString(bundle, both); // the write finished
      tls.reloadNow();
      assertEquals(0, removals.get());
      assertFalse(tls.stale());

      Files.writeString(bundle, Files.readString(first.caPath())); // a removal meant
      tls.reloadNow();
      tls.reloadNow();
      assertFalse(tls.trusts(farChain), "taken once a second read shows the same file");
      assertEquals(1, removals.get());
    }
  }

  /** A renewal already expired is not swapped in for a certificate that is still valid. */
  @Test
  void aRenewedCertificateThatAlreadyExpiredIsNotTaken(@TempDir Path dir) throws Exception {
    DevCertificates ca = DevCertificates.create(dir, "test.flashsale");
    DevCertificates.Issued node = ca.issue(Role.REGION, "near");
    try (TlsFiles.Loaded tls = new TlsFiles(node.certificate(), node.privateKey(), node.trustedCa(), Duration.ofHours(1)).load()) {
      java.time.Instant validUntil = tls.certificateExpiry().orElseThrow();
      DevCertificates.Issued brief = ca.issueValidFor(Duration.ofSeconds(1), Role.REGION, "near"); // same files
      while (!java.time.Instant.now().isAfter(brief.expiresAt())) Thread.sleep(50);
      tls.reloadNow();
      assertTrue(tls.stale(), "the files on disk hold a change that is not taken");
      assertEquals(validUntil, tls.certificateExpiry().orElseThrow(), "the certificate still valid is kept");
    }
  }

  /** A node whose own certificate expired (its renewal failing) still takes a CA taken out of its CA file. */
  @Test
  void aCaRemovedIsTakenThoughThisNodesOwnCertificateExpired(@TempDir Path dir) throws Exception {
    DevCertificates first = DevCertificates.create(dir.resolve("a"), "test.flashsale");
    DevCertificates second = DevCertificates.create(dir.resolve("b"), "test.flashsale");
    DevCertificates.Issued node = first.issueValidFor(Duration.ofSeconds(1), Role.ARBITER, "a1");
    Path bundle = bundleOf(dir, first, second);
    try (TlsFiles.Loaded tls = new TlsFiles(node.certificate(), node.privateKey(), bundle, Duration.ofHours(1)).load()) {
      List<X509Certificate> farChain = chainOf(second.issue(Role.REGION, "far").certificate());
      while (!java.time.Instant.now().isAfter(node.expiresAt())) Thread.sleep(50);
      Files.writeString(bundle, Files.readString(first.caPath())); // the second CA is compromised: out
      tls.reloadNow();
      tls.reloadNow();
      assertFalse(tls.trusts(farChain), "the CA taken out is no longer trusted");
    }
  }

  /**
   * A renewal that cannot be taken (already expired) must not hold up a CA taken out beside it:
   * the CA file is taken, the pair in use kept, and the files still reported stale.
   */
  @Test
  void aCaRemovedIsTakenBesideARenewalThatIsNotValid(@TempDir Path dir) throws Exception {
    DevCertificates first = DevCertificates.create(dir.resolve("a"), "test.flashsale");
    DevCertificates second = DevCertificates.create(dir.resolve("b"), "test.flashsale");
    DevCertificates.Issued node = first.issue(Role.ARBITER, "a1");
    Path bundle = bundleOf(dir, first, second);
    try (TlsFiles.Loaded tls = new TlsFiles(node.certificate(), node.privateKey(), bundle, Duration.ofHours(1)).load()) {
      java.time.Instant validUntil = tls.certificateExpiry().orElseThrow();
      List<X509Certificate> farChain = chainOf(second.issue(Role.REGION, "far").certificate());
      DevCertificates.Issued brief = first.issueValidFor(Duration.ofSeconds(1), Role.ARBITER, "a1"); // same files
      while (!java.time.Instant.now().isAfter(brief.expiresAt())) Thread.sleep(50);
      Files.writeString(bundle, Files.readString(first.caPath())); // the second CA is compromised: out
      tls.reloadNow();
      tls.reloadNow();
      assertFalse(tls.trusts(farChain), "the CA taken out is no longer trusted");
      assertEquals(validUntil, tls.certificateExpiry().orElseThrow(), "the certificate still valid is kept");
      assertTrue(tls.stale(), "the renewal on disk is not taken");
    }
  }

  /** A CA file holding both CAs, as a rotation's first step leaves it. */
  private static Path bundleOf(Path dir, DevCertificates first, DevCertificates second) throws Exception {
    Path bundle = dir.resolve("bundle.pem");
    Files.writeString(bundle, Files.readString(first.caPath()) + Files.readString(second.caPath()));
    return bundle;
  }

  private static List<X509Certificate> chainOf(Path pem) throws Exception {
    try (var in = Files.newInputStream(pem)) {
      return java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
          .map(X509Certificate.class::cast).toList();
    }
  }
}
