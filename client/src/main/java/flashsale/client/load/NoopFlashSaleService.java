package flashsale.client.load;

import flashsale.client.ProtoTimes;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A region that wins every purchase at once, with no ordering, store or network behind it. It
 * exists to measure the load generator's own ceiling; only {@code Purchase} is served.
 */
final class NoopFlashSaleService extends FlashSaleServiceGrpc.FlashSaleServiceImplBase {
  private final AtomicLong rank = new AtomicLong();

  @Override
  public void purchase(PurchaseRequest request, StreamObserver<PurchaseResponse> response) {
    var now = ProtoTimes.timestamp(Instant.now());
    response.onNext(
        PurchaseResponse.newBuilder()
            .setDecision(
                PurchaseDecision.newBuilder()
                    .setEventId(request.getEventId())
                    .setRequestId(request.getRequestId())
                    .setUserId(request.getUserId())
                    .setQuantity(request.getQuantity())
                    .setOutcome(Outcome.OUTCOME_WON)
                    .setRank(rank.incrementAndGet())
                    .setRegion("noop")
                    .setArrivalTime(now)
                    .setDecideTime(now))
            .build());
    response.onCompleted();
  }
}
