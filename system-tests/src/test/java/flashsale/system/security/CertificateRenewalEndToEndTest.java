package flashsale.system.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.ArbiterConfig;
import flashsale.arbiter.ArbiterNode;
import flashsale.client.bench.ModeRun;
import flashsale.credentials.DevCertificates;
import flashsale.credentials.Role;
import flashsale.credentials.TlsFiles;
import flashsale.region.RegionConfig;
import flashsale.region.RegionServer;
import flashsale.region.grpc.ArbiterChannels;
import flashsale.region.modes.ModesConfig;
import flashsale.security.Authenticator;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A region whose short-lived link certificate is renewed in place keeps selling across the old
 * certificate's expiry: the arbiter ends the region's stream then (CREDENTIALS_INVALID), and the
 * region reconnects through a new connection that presents the renewed certificate. Real arbiter
 * and region nodes in one process, mutual TLS on the link, a purchase every 10 ms throughout;
 * prints the latency of the purchases around the expiry (the reconnect's cost).
 */
class CertificateRenewalEndToEndTest {
  @TempDir Path dir;

  @Test
  void aRegionSellsOnAcrossItsCertificatesExpiry() throws Exception {
    DevCertificates ca = DevCertificates.create(dir, "flashsale");
    // Long enough for both nodes to start, the TLS link to come up and the event to be created on a
    // busy machine; the certificate's own notAfter (whole seconds) says when the arbiter cuts.
    Duration lifetime = Duration.ofSeconds(10);
    DevCertificates.Issued regionCert = ca.issueValidFor(lifetime, Role.REGION, "near");
    long expiresNanos = System.nanoTime()
        + Duration.between(java.time.Instant.now(), regionCert.expiresAt()).toNanos();
    DevCertificates.Issued adminCert = ca.issue(Role.ADMIN, "ops");
    try (TlsFiles.Loaded arbiterTls = ca.issue(Role.ARBITER, "a1").files().load();
        TlsFiles.Loaded linkTls = new TlsFiles(regionCert.certificate(), regionCert.privateKey(), regionCert.trustedCa(),
            Duration.ofMillis(200)).load()) {
      ArbiterNode arbiter = new ArbiterNode(
          ArbiterConfig.defaults().withPort(0).withAuthenticator(Authenticator.certificatesOnly("flashsale")),
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), arbiterTls.server(true)),
          new InMemoryArbiterStore(), Clock.systemUTC()).start();
      ArbiterChannels channels = ArbiterChannels.forTargets(List.of("localhost:" + arbiter.port()),
          linkTls.channelTo(Role.ARBITER));
      linkTls.onIdentityChanged(() -> channels.renewAll("renewed")); // as RegionMain does
      RegionServer region = RegionServer.onAddress(new InetSocketAddress("127.0.0.1", 0),
          RegionConfig.builder("near").warmupPurchases(0).build(), InstantSource.system(), channels, ModesConfig.none(),
          InsecureServerCredentials.create()).start();
      ManagedChannel admin = Grpc.newChannelBuilder("localhost:" + arbiter.port(), TlsChannelCredentials.newBuilder()
          .keyManager(adminCert.certificate().toFile(), adminCert.privateKey().toFile())
          .trustManager(ca.caPath().toFile()).build()).build();
      ManagedChannel buyers = Grpc.newChannelBuilder("127.0.0.1:" + region.port(), InsecureChannelCredentials.create())
          .build();
      try {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!region.serving() && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(region.serving(), "the region joined over mutual TLS");
        ModeRun.createEvent(admin, EventMode.EVENT_MODE_GLOBAL_ORDER, "renewal", 100_000, List.of("near"));

        assertTrue(expiresNanos - System.nanoTime() > Duration.ofSeconds(1).toNanos(),
            "set-up ended less than 1 s before the region's certificate expires: nothing to test");
        Thread.sleep(500);
        ca.issue(Role.REGION, "near"); // renewed in place well before the expiry, for 30 days
        record Sent(long sentNanos, CompletableFuture<Long> answeredNanos) {}
        List<Sent> sent = new ArrayList<>();
        var stub = FlashSaleServiceGrpc.newFutureStub(buyers);
        long endNanos = expiresNanos + Duration.ofSeconds(2).toNanos();
        for (int i = 0; System.nanoTime() < endNanos; i++) {
          CompletableFuture<Long> answered = new CompletableFuture<>();
          var call = stub.withDeadlineAfter(20, TimeUnit.SECONDS).purchase(PurchaseRequest.newBuilder()
              .setEventId("renewal").setUserId("u" + i).setRequestId("r" + i).setQuantity(1).build());
          sent.add(new Sent(System.nanoTime(), answered));
          call.addListener(() -> {
            try {
              PurchaseResponse response = call.get();
              if (response.getDecision().getOutcome() != Outcome.OUTCOME_WON) {
                answered.completeExceptionally(new AssertionError("lost: " + response));
              } else {
                answered.complete(System.nanoTime());
              }
            } catch (Exception e) {
              answered.completeExceptionally(e);
            }
          }, Runnable::run);
          Thread.sleep(10);
        }
        long errors = 0;
        List<Long> nearExpiryMs = new ArrayList<>();
        List<Long> otherMs = new ArrayList<>();
        for (Sent s : sent) {
          try {
            long latencyMs = TimeUnit.NANOSECONDS.toMillis(s.answeredNanos().get(30, TimeUnit.SECONDS) - s.sentNanos());
            long sinceExpiryNanos = s.sentNanos() - expiresNanos;
            boolean nearExpiry = sinceExpiryNanos > -Duration.ofMillis(100).toNanos()
                && sinceExpiryNanos < Duration.ofMillis(500).toNanos();
            (nearExpiry ? nearExpiryMs : otherMs).add(latencyMs);
          } catch (Exception e) {
            errors++;
            System.out.println("purchase failed: " + e);
          }
        }
        nearExpiryMs.sort(null);
        otherMs.sort(null);
        System.out.printf("certificate renewal: %d purchases, %d failed; sent from 100 ms before to 500 ms after the old certificate's expiry"
            + " p50 %d ms max %d ms (%d purchases); the rest p50 %d ms max %d ms%n", sent.size(), errors,
            nearExpiryMs.get(nearExpiryMs.size() / 2), nearExpiryMs.getLast(), nearExpiryMs.size(),
            otherMs.get(otherMs.size() / 2), otherMs.getLast());
        assertEquals(0, errors, "every purchase won across the expiry");
        assertTrue(region.serving(), "still serving after the expiry");
      } finally {
        buyers.shutdownNow();
        admin.shutdownNow();
        region.stop();
        channels.close();
        arbiter.stop();
      }
    }
  }
}
