package flashsale.region.modes;

import flashsale.region.core.Failure;
import flashsale.region.grpc.RegionWire;
import flashsale.sale.Ticket;
import flashsale.store.BuyReply;
import flashsale.v1.PurchaseResponse;
import flashsale.sale.ErrorReason;
import flashsale.wire.WireMapping;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Answers a Purchase call from a pool's decision or a failure; a cancelled call is ignored. */
final class Replies {
  private static final Logger log = LoggerFactory.getLogger(Replies.class);

  private Replies() {}

  static void decided(StreamObserver<PurchaseResponse> call, Ticket asked, BuyReply.Decided reply) {
    // A retry returns the stored decision; one with another user or quantity is a reused id.
    if (reply.retry() && !reply.decision().ticket().samePurchaseAs(asked)) {
      fail(call, Failure.of(ErrorReason.REQUEST_ID_REUSED, "request_id " + asked.requestId()
          + " was already used with another event, user or quantity"));
      return;
    }
    try {
      call.onNext(PurchaseResponse.newBuilder().setDecision(WireMapping.toProto(reply.decision())).build());
      call.onCompleted();
    } catch (RuntimeException e) {
      log.debug("purchase answer failed request_id={} error=\"{}\"", asked.requestId(), e.toString());
    }
  }

  static void fail(StreamObserver<PurchaseResponse> call, Failure failure) {
    try {
      call.onError(RegionWire.status(failure));
    } catch (RuntimeException e) {
      log.debug("purchase failure not sent error=\"{}\"", e.toString());
    }
  }

  static Failure storeDown(String what, Throwable failure) {
    return Failure.of(ErrorReason.STORE_UNAVAILABLE, what + " did not answer (" + failure.getMessage()
        + "); retry with the same request_id");
  }
}
