package flashsale.region.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.credentials.DevCertificates;
import flashsale.credentials.Role;
import flashsale.credentials.TlsFiles;
import flashsale.security.AccessPolicy;
import flashsale.security.AuthInterceptor;
import flashsale.security.Authenticator;
import io.grpc.Grpc;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The arbiter cuts a connection once the client certificate of its handshake expires, so a
 * region whose short-lived certificate is renewed must open new connections that present the new
 * one: its channels are renewed when its own certificate file is re-read, and calls in flight
 * finish on the old ones. Real TLS on both ends, a short-lived certificate renewed in place.
 */
class ArbiterChannelsRenewalTest {
  @TempDir Path dir;

  @Test
  void aRenewedRegionCertificateIsPresentedByNewConnectionsBeforeTheOldOneExpires() throws Exception {
    assertEquals(Status.Code.OK, callAfterExpiry(true), "calls go on past the first certificate's expiry");
  }

  @Test
  void withoutReopeningTheOldConnectionIsCutAtExpiry() throws Exception {
    assertEquals(Status.Code.UNAUTHENTICATED, callAfterExpiry(false), "what the reopening is for");
  }

  /** A call's code 1 s after the region's first certificate expired, its renewal taken meanwhile. */
  private Status.Code callAfterExpiry(boolean reopenOnRenewal) throws Exception {
    DevCertificates ca = DevCertificates.create(dir.resolve("ca-" + reopenOnRenewal), "flashsale");
    // Long enough for a cold JVM's first handshake on a busy machine (CI once took over 2 s, and
    // X.509 keeps whole seconds, so a "3 s" certificate may live 2): set-up must not outlive it.
    DevCertificates.Issued region = ca.issueValidFor(Duration.ofSeconds(6), Role.REGION, "near");
    Instant firstExpiry = region.expiresAt();
    AccessPolicy policy = AccessPolicy.builder()
        .method(HealthGrpc.getCheckMethod().getFullMethodName(), Role.REGION)
        .method(HealthGrpc.getWatchMethod().getFullMethodName(), Role.REGION).build();
    HealthStatusManager health = new HealthStatusManager();
    try (TlsFiles.Loaded arbiterTls = ca.issue(Role.ARBITER, "a1").files().load();
        TlsFiles.Loaded linkTls = new TlsFiles(region.certificate(), region.privateKey(), region.trustedCa(),
            Duration.ofMillis(200)).load()) {
      Server arbiter = Grpc.newServerBuilderForPort(0, arbiterTls.server(true))
          .addService(ServerInterceptors.intercept(health.getHealthService(),
              AuthInterceptor.enforcing(policy, Authenticator.certificatesOnly("flashsale"))))
          .build().start();
      ArbiterChannels channels = ArbiterChannels.forTargets(List.of("localhost:" + arbiter.getPort()),
          linkTls.channelTo(Role.ARBITER));
      if (reopenOnRenewal) linkTls.onIdentityChanged(() -> channels.renewAll("renewed"));
      try {
        check(channels); // connected under the short-lived certificate
        assertTrue(Instant.now().isBefore(firstExpiry), "set-up outlived the first certificate: nothing to test");
        // A long-lived call, as the region's Sequence stream is.
        CompletableFuture<Throwable> watchEnded = new CompletableFuture<>();
        HealthGrpc.newStub(channels.get(0)).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
          @Override
          public void onNext(HealthCheckResponse response) {}

          @Override
          public void onError(Throwable t) {
            watchEnded.complete(t);
          }

          @Override
          public void onCompleted() {
            watchEnded.complete(null);
          }
        });
        ca.issue(Role.REGION, "near"); // renewed in place, as cert-manager or a mesh does, for 30 days
        Thread.sleep(Math.max(0, Duration.between(Instant.now(), firstExpiry).toMillis()) + 1_000);
        assertFalse(watchEnded.isDone(), "the renewal lets calls in flight finish: " + watchEnded.getNow(null));
        try {
          check(channels);
          return Status.Code.OK;
        } catch (StatusRuntimeException e) {
          return e.getStatus().getCode();
        }
      } finally {
        channels.close();
        arbiter.shutdownNow();
      }
    }
  }

  private static void check(ArbiterChannels channels) {
    HealthGrpc.newBlockingStub(channels.get(0)).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance());
  }
}
