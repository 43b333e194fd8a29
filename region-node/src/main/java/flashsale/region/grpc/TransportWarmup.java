package flashsale.region.grpc;

import flashsale.metrics.GrpcServerMetrics;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a fresh region's own socket with purchases that validation refuses (quantity 0), so the
 * path a burst takes (socket read and stamp, HTTP/2 and protobuf decoding, the handler, the region
 * loop, the answer) is compiled before the node reports SERVING. The first sale after a deploy is
 * then stamped as promptly as the fifth. Nothing is ticketed, stored or sent to the arbiter; the
 * calls carry {@link GrpcServerMetrics#WARMUP_HEADER} so they stay out of the node's metrics.
 */
public final class TransportWarmup {
  private static final Logger log = LoggerFactory.getLogger(TransportWarmup.class);
  private static final int IN_FLIGHT = 256;
  private static final long DEADLINE_MS = 60_000;

  private TransportWarmup() {}

  /**
   * Sends {@code purchases} refused purchases to {@code node} (the address it listens on, as a
   * client on this host reaches it); returns how many the node answered as meant (refused as
   * invalid, or answered at all by a server that takes any purchase) once all were answered. With {@code tls} over TLS (the node's buyer port serves TLS),
   * trusting whatever certificate answers: the node is talking to itself, and the handshake is part
   * of what a buyer's first call pays, so it is warmed too.
   */
  public static int run(InetSocketAddress node, int purchases, boolean tls) throws InterruptedException {
    long startNanos = System.nanoTime();
    ChannelCredentials credentials = tls
        ? TlsChannelCredentials.newBuilder().trustManager(InsecureTrustManagerFactory.INSTANCE.getTrustManagers()).build()
        : InsecureChannelCredentials.create();
    ManagedChannel channel = NettyChannelBuilder.forAddress(node, credentials).build();
    AtomicInteger reachedNode = new AtomicInteger();
    AtomicReference<Status> otherwise = new AtomicReference<>();
    try {
      Metadata warmup = new Metadata();
      warmup.put(GrpcServerMetrics.WARMUP_HEADER, "1");
      var stub = FlashSaleServiceGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(warmup));
      Semaphore window = new Semaphore(IN_FLIGHT);
      CountDownLatch answered = new CountDownLatch(purchases);
      for (int i = 0; i < purchases; i++) {
        window.acquire();
        PurchaseRequest refused = PurchaseRequest.newBuilder().setEventId("warmup").setUserId("warmup")
            .setRequestId("warmup-" + i).setQuantity(0).build();
        stub.withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS).purchase(refused, new StreamObserver<>() {
          @Override
          public void onNext(PurchaseResponse value) {}

          @Override
          public void onError(Throwable t) {
            Status status = Status.fromThrowable(t);
            if (status.getCode() == Status.Code.INVALID_ARGUMENT) reachedNode.incrementAndGet();
            else otherwise.compareAndSet(null, status);
            window.release();
            answered.countDown();
          }

          @Override
          public void onCompleted() {
            reachedNode.incrementAndGet();
            window.release();
            answered.countDown();
          }
        });
      }
      if (!answered.await(DEADLINE_MS, TimeUnit.MILLISECONDS)) log.warn("warmup answers_missing={}", answered.getCount());
      long tookMs = (System.nanoTime() - startNanos) / 1_000_000;
      if (reachedNode.get() < purchases) {
        // The node serves anyway, cold: its first burst is stamped later than the fifth would be.
        log.warn("warmup reached_node={} of purchases={} at={} first_failure=\"{}\" took_ms={}", reachedNode.get(),
            purchases, node, otherwise.get(), tookMs);
      } else {
        log.info("warmup purchases={} at={} took_ms={}", purchases, node, tookMs);
      }
      return reachedNode.get();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
