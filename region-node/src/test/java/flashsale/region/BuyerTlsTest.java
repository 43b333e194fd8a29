package flashsale.region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.region.grpc.ArbiterChannels;
import flashsale.region.modes.ModesConfig;
import flashsale.credentials.DevCertificates;
import flashsale.credentials.Role;
import flashsale.credentials.TlsFiles;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.Ticket;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A region serving buyers over TLS: it warms up through its own TLS port, and stamps what arrives. */
class BuyerTlsTest {
  @TempDir Path dir;

  @Test
  void buyersReachTheRegionOverTlsAndPlaintextIsRefused() throws Exception {
    DevCertificates ca = DevCertificates.create(dir, "flashsale");
    FakeArbiter arbiter = new FakeArbiter();
    arbiter.announced.put("shoes", RegionFixture.event("shoes", Duration.ofHours(-1), Duration.ofHours(1),
        List.of(RegionFixture.REGION, "us")));
    String arbiterName = InProcessServerBuilder.generateName();
    Server arbiterServer = InProcessServerBuilder.forName(arbiterName).directExecutor().addService(arbiter).build().start();
    RegionConfig config = RegionFixture.config().warmupPurchases(100).build();
    try (TlsFiles.Loaded tls = ca.issue(Role.REGION, RegionFixture.REGION).files().load()) {
      RegionServer region = RegionServer.onAddress(new java.net.InetSocketAddress(0), config, InstantSource.system(),
          ArbiterChannels.of(InProcessChannelBuilder.forName(arbiterName).directExecutor().build()), ModesConfig.none(),
          tls.server(false)).start();
      ManagedChannel buyer = Grpc.newChannelBuilder("localhost:" + region.port(),
          TlsChannelCredentials.newBuilder().trustManager(ca.caPath().toFile()).build()).build();
      ManagedChannel plaintext = Grpc.newChannelBuilder("127.0.0.1:" + region.port(), InsecureChannelCredentials.create())
          .build();
      try {
        FakeArbiter.Stream stream = arbiter.nextStream();
        var health = HealthGrpc.newBlockingStub(buyer).withDeadlineAfter(30, TimeUnit.SECONDS);
        RegionFixture.await("warm (through its own TLS port) and serving", () ->
            health.check(HealthCheckRequest.getDefaultInstance()).getStatus() == HealthCheckResponse.ServingStatus.SERVING);
        long before = System.currentTimeMillis() * 1000;
        FlashSaleServiceGrpc.newStub(buyer).withDeadlineAfter(10, TimeUnit.SECONDS)
            .purchase(RegionFixture.request("shoes", "alice", "alice-1", 1), new io.grpc.stub.StreamObserver<>() {
              public void onNext(flashsale.v1.PurchaseResponse r) {}
              public void onError(Throwable t) {}
              public void onCompleted() {}
            });
        Ticket ticket = stream.nextTicket();
        assertEquals("alice-1", ticket.getRequestId());
        assertTrue(ticket.getArrivalMicros() >= before, "stamped on arrival");
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> HealthGrpc
            .newBlockingStub(plaintext).withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
      } finally {
        buyer.shutdownNow();
        plaintext.shutdownNow();
        region.stop();
      }
    } finally {
      arbiterServer.shutdownNow();
    }
  }

  /**
   * The buyer port has no CA of its own: it must not ask buyers for certificates, which it could
   * only check against the JDK's public CAs and would not use.
   */
  @Test
  void theBuyerPortAsksNoClientCertificate() throws Exception {
    DevCertificates ca = DevCertificates.create(dir, "flashsale");
    DevCertificates.Issued region = ca.issue(Role.REGION, RegionFixture.REGION);
    LinkSecurityOptions options = new LinkSecurityOptions();
    options.buyerCertificate = region.certificate();
    options.buyerKey = region.privateKey();
    options.reloadSeconds = 60;
    java.util.concurrent.atomic.AtomicInteger askedForACertificate = new java.util.concurrent.atomic.AtomicInteger();
    try (TlsFiles.Loaded tls = options.buyerTls()) {
      Server server = Grpc.newServerBuilderForPort(0, LinkSecurityOptions.serverCredentials(tls)).build().start();
      // Counts the server's requests for a certificate; offers none (the buyer has none to give).
      javax.net.ssl.X509ExtendedKeyManager counting = new javax.net.ssl.X509ExtendedKeyManager() {
        public String[] getClientAliases(String type, java.security.Principal[] issuers) { return null; }
        public String chooseClientAlias(String[] type, java.security.Principal[] issuers, java.net.Socket s) {
          askedForACertificate.incrementAndGet();
          return null;
        }
        public String chooseEngineClientAlias(String[] type, java.security.Principal[] issuers, javax.net.ssl.SSLEngine e) {
          askedForACertificate.incrementAndGet();
          return null;
        }
        public String[] getServerAliases(String type, java.security.Principal[] issuers) { return null; }
        public String chooseServerAlias(String type, java.security.Principal[] issuers, java.net.Socket s) { return null; }
        public java.security.cert.X509Certificate[] getCertificateChain(String alias) { return null; }
        public java.security.PrivateKey getPrivateKey(String alias) { return null; }
      };
      ManagedChannel buyer = Grpc.newChannelBuilder("localhost:" + server.getPort(), TlsChannelCredentials.newBuilder()
          .trustManager(ca.caPath().toFile()).keyManager(counting).build()).build();
      try {
        StatusRuntimeException answered = assertThrows(StatusRuntimeException.class, () -> HealthGrpc.newBlockingStub(buyer)
            .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNIMPLEMENTED, answered.getStatus().getCode(), "the handshake completed: " + answered);
        assertEquals(0, askedForACertificate.get(), "the region asked the buyer for a certificate");
      } finally {
        buyer.shutdownNow();
        server.shutdownNow();
      }
    }
  }
}
