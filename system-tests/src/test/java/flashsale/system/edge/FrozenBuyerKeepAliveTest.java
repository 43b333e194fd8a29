package flashsale.system.edge;

import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.cluster.TcpDelayProxy;
import flashsale.net.ServerLimits;
import flashsale.region.transport.InFlightReads;
import flashsale.region.transport.StampedTransport;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * A buyer whose host freezes (or whose network drops packets without a reset) answers no ping: the
 * region's keepalive ends its calls through the region's own transport, whose socket reading sits in
 * front of gRPC (the pings cross its in-process hop both ways). A TCP proxy that holds every byte
 * for two minutes stands in for the frozen buyer.
 */
class FrozenBuyerKeepAliveTest {

  @Test
  void aFrozenBuyersCallIsEndedByTheRegionsKeepalive() throws Exception {
    // gRPC's shortest keepalive time, a 1 s timeout; nothing else would end the call.
    var limits = new ServerLimits(10_000, 0, 0, 60_000, 5_000, 100, 8_192, ServerLimits.MIN_KEEPALIVE_TIME_MS, 1_000, 0, 10);
    StampedTransport transport = StampedTransport.onAddress(new InetSocketAddress("127.0.0.1", 0), InstantSource.system(),
        new InFlightReads(), limits, flashsale.region.transport.ConnectionCaps.DEFAULTS, InsecureServerCredentials.create());
    CountDownLatch watching = new CountDownLatch(1);
    CompletableFuture<Void> ended = new CompletableFuture<>();
    Server server = transport.serverBuilder().addService(new HealthGrpc.HealthImplBase() {
      @Override
      public void watch(HealthCheckRequest request, StreamObserver<HealthCheckResponse> out) {
        ((ServerCallStreamObserver<HealthCheckResponse>) out).setOnCancelHandler(() -> ended.complete(null));
        out.onNext(HealthCheckResponse.newBuilder().setStatus(HealthCheckResponse.ServingStatus.SERVING).build());
        watching.countDown();
      }
    }).build().start();
    transport.open();
    try (TcpDelayProxy link = new TcpDelayProxy(transport.port(), 0)) {
      ManagedChannel channel = Grpc.newChannelBuilder(link.address(), InsecureChannelCredentials.create()).build();
      try {
        HealthGrpc.newStub(channel).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
          @Override
          public void onNext(HealthCheckResponse value) {}

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
        assertTrue(watching.await(10, TimeUnit.SECONDS), "the call is up");
        link.setOneWayDelayMillis(120_000); // frozen: what either side sends now arrives in two minutes
        long frozenAtNanos = System.nanoTime();
        try {
          // Nothing else ends the call before the link's two minutes: 10 s of slack for a busy machine.
          ended.get(ServerLimits.MIN_KEEPALIVE_TIME_MS + 1_000 + 10_000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          throw new AssertionError("the frozen buyer's call was still open 21 s after its link froze (keepalive 10 s + 1 s)");
        }
        long endedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozenAtNanos);
        System.out.printf("frozen buyer's call ended %d ms after its link froze%n", endedAfterMs);
        assertTrue(endedAfterMs >= ServerLimits.MIN_KEEPALIVE_TIME_MS / 2,
            "ended after " + endedAfterMs + " ms: by something else than the keepalive, which waits 10 s of silence");
      } finally {
        channel.shutdownNow();
      }
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      transport.close();
    }
  }
}
