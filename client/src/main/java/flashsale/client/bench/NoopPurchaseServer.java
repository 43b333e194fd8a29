package flashsale.client.bench;

import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ceiling a benchmark's driver can reach: the same Purchase API on a gRPC server in the same
 * process as the real nodes, answering every purchase at once (a win, rank counting up) and doing
 * nothing else. {@code bench} drives it and then the real region with the same driver, so their
 * ratio says what the system costs, whatever the machine.
 */
final class NoopPurchaseServer implements AutoCloseable {
  private final Server server;

  private NoopPurchaseServer(Server server) {
    this.server = server;
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
    };
    return new NoopPurchaseServer(Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(service).build().start());
  }

  String target() {
    return "127.0.0.1:" + server.getPort();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
