package flashsale.region.modes;

import flashsale.region.core.Failure;
import flashsale.region.grpc.RegionWire;
import flashsale.sale.Decision;
import flashsale.sale.Ticket;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.PurchaseState;
import flashsale.sale.ErrorReason;
import flashsale.wire.Times;
import flashsale.wire.WireMapping;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Answers a GetPurchase call from what a pool store holds; a cancelled call is ignored. */
final class Lookups {
  private static final Logger log = LoggerFactory.getLogger(Lookups.class);

  private Lookups() {}

  /**
   * Answers with the stored decision, NOT_FOUND {@code PURCHASE_NOT_FOUND} (with {@code where}
   * saying where such a purchase would be), or UNAVAILABLE when the store does not answer.
   */
  static void answer(StreamObserver<GetPurchaseResponse> call, CompletableFuture<Optional<Decision>> lookup,
      String store, String eventId, String requestId, String where) {
    answer(call, lookup, Optional.empty(), store, eventId, requestId, where);
  }

  /**
   * As above, for a purchase {@code sentBefore} the look-up to the store and not answered then:
   * one the store does not hold yet is pending, not unknown.
   */
  static void answer(StreamObserver<GetPurchaseResponse> call, CompletableFuture<Optional<Decision>> lookup,
      Optional<Ticket> sentBefore, String store, String eventId, String requestId, String where) {
    lookup.whenComplete((found, failure) -> {
      if (failure != null) {
        fail(call, Failure.of(ErrorReason.STORE_UNAVAILABLE, store + " did not answer (" + failure.getMessage()
            + "); retry later"));
      } else if (found.isEmpty() && sentBefore.isPresent()) {
        pending(call, sentBefore.get());
      } else if (found.isEmpty()) {
        fail(call, Failure.of(ErrorReason.PURCHASE_NOT_FOUND, "no purchase " + requestId + " in event " + eventId
            + " " + where));
      } else {
        reply(call, GetPurchaseResponse.newBuilder().setState(PurchaseState.PURCHASE_STATE_DECIDED)
            .setDecision(WireMapping.toProto(found.get())).build());
      }
    });
  }

  /** A purchase held at this region, waiting for stock: stamped, not decided. */
  static void pending(StreamObserver<GetPurchaseResponse> call, Ticket held) {
    reply(call, GetPurchaseResponse.newBuilder().setState(PurchaseState.PURCHASE_STATE_PENDING)
        .setArrivalTime(Times.timestamp(held.stampMicros())).build());
  }

  private static void reply(StreamObserver<GetPurchaseResponse> call, GetPurchaseResponse response) {
    try {
      call.onNext(response);
      call.onCompleted();
    } catch (RuntimeException e) {
      log.debug("get purchase answer failed error=\"{}\"", e.toString());
    }
  }

  private static void fail(StreamObserver<GetPurchaseResponse> call, Failure failure) {
    try {
      call.onError(RegionWire.status(failure));
    } catch (RuntimeException e) {
      log.debug("get purchase failure not sent error=\"{}\"", e.toString());
    }
  }
}
