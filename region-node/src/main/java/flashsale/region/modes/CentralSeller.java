package flashsale.region.modes;

import flashsale.region.core.BuyRequest;
import flashsale.region.core.Failure;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.store.BuyReply;
import flashsale.store.PoolStore;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.PurchaseResponse;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CENTRAL mode, the article's baseline: every purchase is one atomic check-and-decrement at the
 * central store, decided in order of arrival there. Correct (idempotent, per-user limit, never
 * oversold) but biased: a region further from the store arrives later.
 */
final class CentralSeller implements AutoCloseable {
  private final PoolStore store;
  /** Purchases sent to the pool and not yet answered: a look-up meanwhile says pending, not unknown. */
  private final Map<SentKey, Ticket> sent = new ConcurrentHashMap<>();

  private record SentKey(String eventId, String requestId) {}

  /** @param store the central pool's store, closed with this seller */
  CentralSeller(PoolStore store) {
    this.store = store;
  }

  void purchase(EventSpec spec, Ticket ticket, StreamObserver<PurchaseResponse> call) {
    SentKey key = new SentKey(spec.eventId(), ticket.requestId());
    sent.put(key, ticket);
    store.buyCentral(spec, ticket).whenComplete((reply, failure) -> {
      sent.remove(key, ticket); // a retry sent meanwhile stays, until its own answer
      if (failure != null) {
        Replies.fail(call, Replies.storeDown("central store", failure));
      } else {
        Replies.decided(call, ticket, (BuyReply.Decided) reply);
      }
    });
  }

  /** Over the rate limit: the pool's decision of a retry, else {@code limited}. */
  void limited(EventSpec spec, BuyRequest buy, Failure limited, StreamObserver<PurchaseResponse> call) {
    Replies.retryOrFail(call, buy, store.findCentralDecision(spec.eventId(), buy.requestId()), limited);
  }

  /** Past the sale's end: the pool's decision of a retry, else {@code ended}. */
  void ended(EventSpec spec, BuyRequest buy, Failure ended, StreamObserver<PurchaseResponse> call) {
    Replies.decidedOrEnded(call, buy, store.findCentralDecision(spec.eventId(), buy.requestId()), ended, "central store");
  }

  /** Any region may look a CENTRAL purchase up: they all share the one pool. */
  void getPurchase(EventSpec spec, String requestId, StreamObserver<GetPurchaseResponse> call) {
    // Read before the store is asked: sent then and not held by the store when it answers, it was pending.
    Optional<Ticket> sentBefore = Optional.ofNullable(sent.get(new SentKey(spec.eventId(), requestId)));
    Lookups.answer(call, store.findCentralDecision(spec.eventId(), requestId), sentBefore, "central store",
        spec.eventId(), requestId, "at the central store");
  }

  @Override
  public void close() {
    store.close();
  }
}
