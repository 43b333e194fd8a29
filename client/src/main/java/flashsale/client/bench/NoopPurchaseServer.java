package flashsale.client.bench;

import flashsale.v1.BidAnswer;
import flashsale.v1.BidDecision;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.Outcome;
import flashsale.v1.PlaceBidRequest;
import flashsale.v1.PlaceBidResponse;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.StreamPurchasesRequest;
import flashsale.v1.StreamPurchasesResponse;
import flashsale.region.transport.StampedTransport;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ceiling a benchmark's driver can reach: the same Purchase API on the region's own transport
 * (its reading threads and call pool, {@link StampedTransport}) in the same process as the real
 * nodes, answering every purchase at once (a win, rank counting up) and doing nothing else.
 * {@code bench} drives it and then the real region with the same driver, so their ratio says what
 * the system costs, whatever the machine.
 */
public final class NoopPurchaseServer implements AutoCloseable {
  private final Server server;
  private final StampedTransport transport;

  private NoopPurchaseServer(Server server, StampedTransport transport) {
    this.server = server;
    this.transport = transport;
  }

  static NoopPurchaseServer start() throws IOException {
    AtomicLong rank = new AtomicLong();
    var service = new FlashSaleServiceGrpc.FlashSaleServiceImplBase() {
      @Override
      public void purchase(PurchaseRequest request, StreamObserver<PurchaseResponse> response) {
        response.onNext(PurchaseResponse.newBuilder().setDecision(PurchaseDecision.newBuilder()
            .setEventId(request.getEventId()).setRequestId(request.getRequestId()).setUserId(request.getUserId())
            .setQuantity(request.getQuantity()).setOutcome(Outcome.OUTCOME_WON).setRank(rank.incrementAndGet())).build());
        response.onCompleted();
      }

      @Override
      public StreamObserver<StreamPurchasesRequest> streamPurchases(StreamObserver<StreamPurchasesResponse> answers) {
        return new StreamObserver<>() {
          @Override
          public void onNext(StreamPurchasesRequest message) {
            PurchaseRequest request = message.getPurchase();
            answers.onNext(StreamPurchasesResponse.newBuilder().setRequestId(request.getRequestId())
                .setDecision(PurchaseDecision.newBuilder().setEventId(request.getEventId())
                    .setRequestId(request.getRequestId()).setUserId(request.getUserId()).setQuantity(request.getQuantity())
                    .setOutcome(Outcome.OUTCOME_WON).setRank(rank.incrementAndGet())).build());
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {
            answers.onCompleted();
          }
        };
      }

      @Override
      public void placeBid(PlaceBidRequest request, StreamObserver<PlaceBidResponse> response) {
        response.onNext(PlaceBidResponse.newBuilder().setDecision(PurchaseDecision.newBuilder()
            .setEventId(request.getEventId()).setRequestId(request.getRequestId()).setUserId(request.getUserId())
            .setQuantity(1).setOutcome(Outcome.OUTCOME_WON).setRank(rank.incrementAndGet())
            .setBid(BidDecision.newBuilder().setAnswer(BidAnswer.BID_ANSWER_ACCEPTED)
                .setAmountMinor(request.getAmountMinor()))).build());
        response.onCompleted();
      }
    };
    StampedTransport transport = StampedTransport.onPort(0, InstantSource.system());
    Server server = transport.serverBuilder().addService(service).build().start();
    transport.open();
    return new NoopPurchaseServer(server, transport);
  }

  String target() {
    return "127.0.0.1:" + port();
  }

  /** The line {@link #main} prints once it serves, followed by its port. */
  static final String READY = "noop purchase server ready on port ";

  /**
   * Runs a no-op server as a process of its own, so a benchmark's ceiling runs under the same JVM
   * settings as the region it is set beside. It first warms itself up as a region does (the same
   * {@link flashsale.region.grpc.TransportWarmup}, the region's default count), then prints
   * {@link #READY} and its port, and serves until its parent closes its stdin (exits, or is killed).
   */
  public static void main(String[] args) throws Exception {
    NoopPurchaseServer server = start();
    flashsale.region.grpc.TransportWarmup.run(server.transport.reachableAddress(),
        flashsale.region.RegionConfig.DEFAULT_WARMUP_PURCHASES, false);
    System.out.println(READY + server.port());
    System.out.flush();
    // Until the parent goes: its end of this process's stdin closes then, even if it was killed.
    while (System.in.read() >= 0) {
      // nothing is sent on stdin
    }
    System.exit(0);
  }

  int port() {
    return transport.port();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    transport.close();
  }
}
