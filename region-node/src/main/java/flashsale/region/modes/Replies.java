package flashsale.region.modes;

import flashsale.region.core.BuyRequest;
import flashsale.region.core.Failure;
import flashsale.sale.Decision;
import flashsale.region.grpc.RegionWire;
import flashsale.sale.Ticket;
import flashsale.store.BuyReply;
import flashsale.v1.PurchaseResponse;
import flashsale.sale.ErrorReason;
import flashsale.wire.WireMapping;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Answers a Purchase call from a pool's decision or a failure; a cancelled call is ignored. */
final class Replies {
  private static final Logger log = LoggerFactory.getLogger(Replies.class);

  private Replies() {}

  /** The lost pools already logged; bounded by the events whose pools a store lost. */
  private static final java.util.Set<String> LOST_POOLS_LOGGED = java.util.concurrent.ConcurrentHashMap.newKeySet();

  static void decided(StreamObserver<PurchaseResponse> call, Ticket asked, BuyReply.Decided reply) {
    // A retry returns the stored decision; one with another user or quantity is a reused id.
    boolean sameAsked = !reply.retry() || reply.decision().ticket().samePurchaseAs(asked);
    answer(call, asked.requestId(), reply.decision(), sameAsked);
  }

  /**
   * A purchase that may not buy now: {@code stored} found its request id decided (a retry), which
   * answers it as the store decided it, or else {@code otherwise}, also when the store fails.
   */
  static void retryOrFail(StreamObserver<PurchaseResponse> call, BuyRequest asked,
      CompletableFuture<Optional<Decision>> stored, Failure otherwise) {
    storedOr(call, asked, stored, otherwise, failure -> otherwise);
  }

  /** The stored decision of {@code requestId}; unless {@code sameAsked}, the id was reused for another purchase. */
  private static void answer(StreamObserver<PurchaseResponse> call, String requestId, Decision decision,
      boolean sameAsked) {
    if (!sameAsked) {
      fail(call, reused(requestId));
      return;
    }
    try {
      call.onNext(PurchaseResponse.newBuilder().setDecision(WireMapping.toProto(decision)).build());
      call.onCompleted();
    } catch (RuntimeException e) {
      log.debug("purchase answer failed request_id={} error=\"{}\"", requestId, e.toString());
    }
  }

  /** A request id asked again for another purchase than the one it names. */
  static Failure reused(String requestId) {
    return Failure.of(ErrorReason.REQUEST_ID_REUSED, "request_id " + requestId
        + " was already used with another event, user or quantity");
  }

  /**
   * A purchase refused past its sale's end: a retry whose request id {@code stored} found decided
   * gets that decision, else {@code ended}; a store that fails answers STORE_UNAVAILABLE (retry),
   * since the purchase may have been decided inside the sale.
   */
  static void decidedOrEnded(StreamObserver<PurchaseResponse> call, BuyRequest asked,
      CompletableFuture<Optional<Decision>> stored, Failure ended, String store) {
    storedOr(call, asked, stored, ended, failure -> storeDown(store, failure));
  }

  /** The stored decision of {@code asked}'s request id, else {@code none}; {@code failed} says why not when the read fails. */
  private static void storedOr(StreamObserver<PurchaseResponse> call, BuyRequest asked,
      CompletableFuture<Optional<Decision>> stored, Failure none, java.util.function.Function<Throwable, Failure> failed) {
    stored.whenComplete((found, failure) -> {
      if (failure != null) {
        fail(call, failed.apply(failure));
      } else if (found.isEmpty()) {
        fail(call, none);
      } else {
        answer(call, asked.requestId(), found.get(), asked.sameContentAs(found.get().ticket()));
      }
    });
  }

  static void fail(StreamObserver<PurchaseResponse> call, Failure failure) {
    try {
      call.onError(RegionWire.status(failure));
    } catch (RuntimeException e) {
      log.debug("purchase failure not sent error=\"{}\"", e.toString());
    }
  }

  /**
   * UNAVAILABLE STORE_UNAVAILABLE (retry), or DATA_LOSS POOL_LOST when the store lost the event's
   * pool after its sale began (retrying would not help: logged as an error, for the operator).
   */
  static Failure storeDown(String what, Throwable failure) {
    var lost = flashsale.store.PoolLostException.in(failure);
    if (lost.isPresent()) {
      if (LOST_POOLS_LOGGED.add(lost.get().getMessage())) { // once per pool (and per message), not per purchase
        log.error("{} lost a pool: {}; nothing sells from it until it is restored", what, lost.get().getMessage());
      }
      return Failure.of(ErrorReason.POOL_LOST, what + " lost this event's pool after its sale began ("
          + lost.get().getMessage() + "); no unit is sold twice, so nothing sells from it until an operator restores it");
    }
    return Failure.of(ErrorReason.STORE_UNAVAILABLE, what + " did not answer (" + failure.getMessage()
        + "); retry with the same request_id");
  }
}
