package flashsale.arbiter.grpc;

import flashsale.arbiter.events.BlockingStoreCalls;

import flashsale.arbiter.core.orders.OrderBook;
import flashsale.arbiter.core.orders.OrderRunner;
import flashsale.orders.OrderRecord;
import flashsale.orders.PurchaseState;
import flashsale.sale.Decision;
import flashsale.store.OrderStore;
import flashsale.v1.GetDecisionResponse;
import flashsale.wire.OrderWire;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where a decided purchase stands after its decision, for a region's GetDecision: only what the
 * store holds, so a region never shows a change that a failover could still take back. A loser for
 * lack of stock without a stored order is NOT_WAITLISTED once the stored waitlist is full (joins
 * go in rank order, so nobody can join after that) or the stored book enrolled past its rank (it
 * was passed over: its user already held what the limit allows); before, its order may still be
 * being stored.
 */
final class DecisionOrders {
  private final OrderStore orders;
  private final SequencerLoop loop;
  private final OrderRunner runner;

  DecisionOrders(OrderStore orders, SequencerLoop loop, OrderRunner runner) {
    this.orders = orders;
    this.loop = loop;
    this.runner = runner;
  }

  /** The decision's answer with its order, read off the loop (store reads block). */
  CompletableFuture<GetDecisionResponse> describe(Decision decision, GetDecisionResponse answer) {
    String eventId = decision.eventId();
    if (orders.findTerms(eventId).isEmpty()) return CompletableFuture.completedFuture(answer);
    GetDecisionResponse.Builder withOrder = answer.toBuilder().setHasPaymentWindow(true);
    if (!decision.won() && !OrderBook.lostForStock(decision)) return CompletableFuture.completedFuture(withOrder.build());
    // Whether the loser can still get a place, as stored, is read before the order: a join stored
    // by then is in the store when the order is read.
    long rank = decision.rank();
    return loop.query(q -> runner.durablyNotWaitlisted(eventId, rank)).exceptionally(notLeading -> Optional.empty())
        .thenApplyAsync(fromBook -> {
          Optional<OrderRecord> order;
          boolean noPlace;
          if (fromBook.isPresent()) {
            noPlace = fromBook.get();
            order = orders.findOrder(eventId, decision.requestId());
          } else { // the book is not here (loading, or settled): the store alone answers, three fields read
            noPlace = orders.storedWaitlistJoins(eventId) >= orders.findTerms(eventId).orElseThrow().waitlistBound()
                || rank <= orders.storedEnrolledThroughRank(eventId);
            order = orders.findOrder(eventId, decision.requestId());
          }
          if (order.isEmpty() && !decision.won() && noPlace) {
            order = Optional.of(new OrderRecord(decision.requestId(), decision.ticket().userId(),
                decision.ticket().quantity(), decision.rank(), PurchaseState.NOT_WAITLISTED, 0));
          }
          order.ifPresent(o -> withOrder.setOrder(OrderWire.toProto(eventId, o)));
          return withOrder.build();
        }, BlockingStoreCalls.EXECUTOR);
  }
}
