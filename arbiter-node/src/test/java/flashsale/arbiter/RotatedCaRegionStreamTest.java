package flashsale.arbiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.core.RegionNodeStatus;
import flashsale.arbiter.core.Sequencer;
import flashsale.credentials.DevCertificates;
import flashsale.credentials.Role;
import flashsale.credentials.TlsFiles;
import flashsale.sale.Micros;
import flashsale.security.Authenticator;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.v1.RegionHello;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.v1.Watermark;
import flashsale.wire.Errors;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A region's stream outlives the handshake that checked its certificate. Once the arbiter's CA
 * file no longer holds the CA that signed it (rotated out, say because its key leaked), the stream
 * is ended {@code UNAUTHENTICATED} at the region's next message and the region counts as gone; a
 * region whose certificate the new CA signed joins. The same once the region's certificate expires.
 * Real Netty server with mutual TLS.
 */
class RotatedCaRegionStreamTest {
  @TempDir Path dir;
  private ArbiterNode node;
  private TlsFiles.Loaded tls;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (node != null) node.stop();
    if (tls != null) tls.close();
  }

  @Test
  void aRegionsStreamEndsOnceItsCaIsRotatedOutAndARegionOfTheNewCaJoins() throws Exception {
    DevCertificates oldCa = DevCertificates.create(dir.resolve("old"), "flashsale");
    DevCertificates.Issued arbiter = oldCa.issue(Role.ARBITER, "a1");
    Path caFile = dir.resolve("ca.pem");
    Files.copy(oldCa.caPath(), caFile);
    tls = new TlsFiles(arbiter.certificate(), arbiter.privateKey(), caFile, Duration.ofMillis(200)).load();
    node = new ArbiterNode(
        ArbiterConfig.defaults().withPort(0).withAuthenticator(Authenticator.certificatesOnly("flashsale").checkingChainsWith(tls)),
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), tls.server(false)),
        new InMemoryArbiterStore(), Clock.systemUTC()).start();

    Region east = open("east", oldCa.issue(Role.REGION, "east"), oldCa);
    assertTrue(connected("east"));

    DevCertificates newCa = DevCertificates.create(dir.resolve("new"), "flashsale");
    newCa.replaceCaFile(caFile);

    // The region keeps its watermarks coming, as a live one does every few ms.
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!east.ended.isDone() && System.nanoTime() < deadline) {
      east.watermark();
      Thread.sleep(20);
    }
    StatusRuntimeException ended = (StatusRuntimeException) east.ended.get(1, TimeUnit.SECONDS);
    assertEquals(Status.Code.UNAUTHENTICATED, ended.getStatus().getCode(), ended.toString());
    assertEquals("CREDENTIALS_INVALID", Errors.reasonOf(ended).orElseThrow());
    assertFalse(connected("east"), "the region whose certificate is no longer trusted counts as gone");

    Region west = open("west", newCa.issue(Role.REGION, "west"), oldCa);
    west.watermark();
    assertTrue(connected("west"), "a region of the new CA joins");
  }

  @Test
  void aRegionsStreamEndsOnceItsCertificateExpires() throws Exception {
    DevCertificates ca = DevCertificates.create(dir.resolve("ca"), "flashsale");
    DevCertificates.Issued arbiter = ca.issue(Role.ARBITER, "a1");
    tls = arbiter.files().load();
    // No CA reload here: expiry is judged without it.
    node = new ArbiterNode(
        ArbiterConfig.defaults().withPort(0).withAuthenticator(Authenticator.certificatesOnly("flashsale")),
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), tls.server(false)),
        new InMemoryArbiterStore(), Clock.systemUTC()).start();

    // Long enough for a cold first handshake and welcome on a busy machine.
    DevCertificates.Issued shortLived = ca.issueValidFor(Duration.ofSeconds(6), Role.REGION, "east");
    Region east = open("east", shortLived, ca);
    assertTrue(connected("east"));
    assertTrue(Instant.now().isBefore(shortLived.expiresAt()), "set-up outlived the certificate: nothing to test");

    Instant giveUp = shortLived.expiresAt().plusSeconds(7);
    while (!east.ended.isDone() && Instant.now().isBefore(giveUp)) {
      east.watermark();
      Thread.sleep(20);
    }
    assertTrue(east.ended.isDone(), "the stream was still open 7 s after the region's certificate expired");
    StatusRuntimeException ended = (StatusRuntimeException) east.ended.get();
    assertEquals(Status.Code.UNAUTHENTICATED, ended.getStatus().getCode(), ended.toString());
    assertEquals("CREDENTIALS_INVALID", Errors.reasonOf(ended).orElseThrow());
    assertTrue(ended.getStatus().getDescription().contains("expired at"), ended.toString());
    assertFalse(connected("east"), "the region whose certificate expired counts as gone");
  }

  /** A region's stream, welcomed; {@code ended} completes with how the arbiter ended it. */
  private record Region(StreamObserver<SequenceRequest> stream, CompletableFuture<Throwable> ended) {
    void watermark() {
      stream.onNext(SequenceRequest.newBuilder()
          .setWatermark(Watermark.newBuilder().setWatermarkMicros(Micros.of(Instant.now()))).build());
    }
  }

  /** {@code serverCa}: the CA that signed the arbiter's certificate, which the region checks. */
  private Region open(String region, DevCertificates.Issued identity, DevCertificates serverCa) throws Exception {
    ChannelCredentials credentials = TlsChannelCredentials.newBuilder()
        .keyManager(identity.certificate().toFile(), identity.privateKey().toFile())
        .trustManager(serverCa.caPath().toFile())
        .build();
    ManagedChannel channel = Grpc.newChannelBuilder("localhost:" + node.port(), credentials).build();
    channels.add(channel);
    CountDownLatch welcomed = new CountDownLatch(1);
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    StreamObserver<SequenceRequest> stream = SequencerServiceGrpc.newStub(channel).sequence(new StreamObserver<>() {
      @Override
      public void onNext(SequenceResponse message) {
        if (message.hasWelcome()) welcomed.countDown();
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
    stream.onNext(SequenceRequest.newBuilder()
        .setHello(RegionHello.newBuilder().setRegion(region).setInstanceId("i-" + region)).build());
    assertTrue(welcomed.await(10, TimeUnit.SECONDS), region + " welcomed");
    return new Region(stream, ended);
  }

  private boolean connected(String region) {
    return node.loop().query(Sequencer::regionStatuses).join().stream().filter(s -> s.region().equals(region))
        .findFirst().map(RegionNodeStatus::connected).orElse(false);
  }
}
