package flashsale.system.sim;

import flashsale.arbiter.core.NotLeaderException;
import flashsale.arbiter.core.orders.OrderAnswer;
import flashsale.arbiter.core.orders.OrderRunner;
import flashsale.orders.OrderRecord;
import flashsale.orders.PurchaseState;
import flashsale.sale.Decision;
import flashsale.store.ArbiterStore;
import flashsale.store.OrderStore;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * One arbiter node's order API, as {@code OrderGrpcService} answers ConfirmPayment and
 * CancelPurchase, written again for domain calls: behind the leader gate, straight to the event's
 * book on the loop, answered once the book's write is stored; a book not held here is answered from
 * the store when the purchase is settled there, and otherwise the caller retries.
 */
final class SimOrderDesk {
  /** What a buyer hears back. */
  sealed interface Reply {
    /** The purchase's state ({@code done}: the one asked for, now or by an earlier call). */
    record Final(OrderRecord record, boolean done) implements Reply {}

    /** NOT_LEADER, UNAVAILABLE, or a book still loading: the same call again later. */
    record Retry(String why) implements Reply {}

    /** NOT_FOUND or NOT_A_WIN: no buyer of the simulation should hear it. */
    record Failed(String why) implements Reply {}
  }

  private final SimArbiter arbiter;
  private final OrderStore orders;
  private final ArbiterStore events;
  private final SimOrderOracle oracle;

  SimOrderDesk(SimArbiter arbiter, OrderStore orders, ArbiterStore events, SimOrderOracle oracle) {
    this.arbiter = arbiter;
    this.orders = orders;
    this.events = events;
    this.oracle = oracle;
  }

  /** A confirm ({@code PAID}) or cancel ({@code CANCELLED}) arrives at this node; {@code reply} hears once, if the node lives. */
  void call(String eventId, String requestId, PurchaseState wanted, Consumer<Reply> reply) {
    arbiter.loop.execute(() -> {
      if (!arbiter.admitting()) {
        reply.accept(new Reply.Retry("NOT_LEADER"));
        return;
      }
      OrderRunner runner = arbiter.orders();
      runner.apply(eventId, requestId, (book, effects) -> {
        long nowMicros = runner.nowMicros();
        oracle.applied(eventId, requestId, wanted, nowMicros);
        return wanted == PurchaseState.PAID ? book.confirm(requestId, nowMicros, effects)
            : book.cancel(requestId, nowMicros, effects);
      }).whenComplete((answer, error) -> reply.accept(answered(runner, eventId, requestId, wanted, answer, error)));
    });
  }

  private Reply answered(OrderRunner runner, String eventId, String requestId, PurchaseState wanted, OrderAnswer answer,
      Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof NotLeaderException) return fromStore(eventId, requestId, wanted);
    if (cause != null) return new Reply.Retry(cause.toString());
    if (answer.outcome() == OrderAnswer.Outcome.UNKNOWN) return withoutOrder(eventId, requestId);
    try {
      return new Reply.Final(runner.find(eventId, requestId).orElseThrow(), answer.done());
    } catch (NotLeaderException e) {
      return new Reply.Retry(e.getMessage()); // the book left between the answer and the look-up
    }
  }

  /** Not held here: settled after the sale (final in the store), or loading. */
  private Reply fromStore(String eventId, String requestId, PurchaseState wanted) {
    Optional<OrderRecord> stored = orders.findOrder(eventId, requestId);
    if (stored.isEmpty()) return withoutOrder(eventId, requestId);
    if (!stored.get().state().isFinal()) return new Reply.Retry("the order book of " + eventId + " is loading");
    return new Reply.Final(stored.get(), stored.get().state() == wanted);
  }

  /** Never decided, lost, or a win the book has not enrolled yet (retry). */
  private Reply withoutOrder(String eventId, String requestId) {
    Optional<Decision> decision = events.findDecision(eventId, requestId);
    if (decision.isEmpty()) return new Reply.Failed("PURCHASE_NOT_FOUND: no decided purchase " + requestId);
    if (decision.get().won()) return new Reply.Retry("the order of " + requestId + " is being recorded");
    return new Reply.Failed("NOT_A_WIN: " + decision.get());
  }
}
