package flashsale.region.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.credentials.DevCertificates;
import flashsale.credentials.Role;
import flashsale.credentials.TlsFiles;
import io.grpc.Grpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A region's link checks the arbiter's certificate at the handshake only. Once the region's
 * {@code --link-ca} no longer holds the CA that signed it, the region's channels are reopened: its
 * long-lived stream ends, and the next call's new handshake refuses the arbiter's certificate.
 */
class ArbiterChannelsCaRotationTest {
  @TempDir Path dir;

  @Test
  void aChangedLinkCaReopensTheChannelsAndTheOldArbiterCertificateIsRefused() throws Exception {
    DevCertificates oldCa = DevCertificates.create(dir.resolve("old"), "flashsale");
    DevCertificates newCa = DevCertificates.create(dir.resolve("new"), "flashsale");
    DevCertificates.Issued region = oldCa.issue(Role.REGION, "near");
    Path linkCa = dir.resolve("link-ca.pem");
    Files.copy(oldCa.caPath(), linkCa);
    HealthStatusManager health = new HealthStatusManager();
    try (TlsFiles.Loaded arbiterTls = oldCa.issue(Role.ARBITER, "a1").files().load();
        TlsFiles.Loaded linkTls = new TlsFiles(region.certificate(), region.privateKey(), linkCa, Duration.ofMillis(200)).load()) {
      Server arbiter = Grpc.newServerBuilderForPort(0, arbiterTls.server(false)).addService(health.getHealthService())
          .build().start();
      ArbiterChannels channels = ArbiterChannels.forTargets(List.of("localhost:" + arbiter.getPort()),
          linkTls.channelTo(Role.ARBITER));
      linkTls.onCaRemoved(() -> channels.reopenAll("test"));
      try {
        // A long-lived stream, as the region's Sequence stream is.
        CountDownLatch serving = new CountDownLatch(1);
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        HealthGrpc.newStub(channels.get(0)).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
          @Override
          public void onNext(HealthCheckResponse response) {
            serving.countDown();
          }

          @Override
          public void onError(Throwable t) {
            ended.complete(t);
          }

          @Override
          public void onCompleted() {
            ended.complete(new IllegalStateException("completed"));
          }
        });
        assertTrue(serving.await(10, TimeUnit.SECONDS), "the stream is up under the old CA");

        newCa.replaceCaFile(linkCa);

        Throwable why = ended.get(10, TimeUnit.SECONDS);
        assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(why).getCode(), why.toString());
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
            () -> HealthGrpc.newBlockingStub(channels.get(0)).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(),
            "a new handshake refuses the arbiter's certificate of the old CA: " + refused);

        // Both CAs in the file (a rotation's first step): the reopened channel gets through again.
        Path bundle = Files.writeString(dir.resolve("bundle.pem"), Files.readString(newCa.caPath()) + Files.readString(oldCa.caPath()));
        Files.move(bundle, linkCa, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        HealthCheckResponse answer = null;
        while (answer == null && System.nanoTime() < deadline) {
          try {
            answer = HealthGrpc.newBlockingStub(channels.get(0)).withDeadlineAfter(2, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance());
          } catch (StatusRuntimeException stillRefused) {
            Thread.sleep(100);
          }
        }
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, answer == null ? null : answer.getStatus(),
            "a channel reopened to the same target works once its CAs sign the arbiter");
      } finally {
        channels.close();
        arbiter.shutdownNow();
      }
    }
  }
}
