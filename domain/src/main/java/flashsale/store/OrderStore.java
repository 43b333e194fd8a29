package flashsale.store;

import flashsale.orders.OrderRecord;
import flashsale.orders.OrderSnapshot;
import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.orders.OrderWrite;
import flashsale.sale.EventSpec;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The durable half of life after the win: an event's payment terms, each purchase's state, the
 * waitlist, and every transition appended once to the event's outbox (after the winners the
 * decision batches append). It shares its events, keys and fencing with the {@link ArbiterStore}
 * it is made from; every method is safe from any thread.
 */
public interface OrderStore {

  /**
   * Sets the event's terms once; the same terms again is a no-op. Events are created with their
   * terms by {@link #createEventWithTerms}; this is for tests and tools that set them alone.
   *
   * @throws StoreRejectedException when the event already has other terms
   */
  void putTerms(String eventId, OrderTerms terms);

  /**
   * Creates the event as {@link ArbiterStore#createEvent} does, and sets its terms, in one write:
   * whoever finds the event finds its terms too. A retry writes nothing; nothing is written when
   * either is refused.
   *
   * @throws StoreRejectedException when this request created the event with other terms, or none
   */
  EventSpec createEventWithTerms(String requestId, EventSpec spec, OrderTerms terms);

  Optional<OrderTerms> findTerms(String eventId);

  /**
   * Atomically (one server-side call) checks the writer's {@code fencingEpoch} and every
   * transition against what is stored: its purchase in the state it leaves, a payment strictly
   * before the deadline, an expiry at or after it, a promotion onto units released and not yet
   * handed on and within the per-user limit, the waitlist within its bound, units held never above
   * stock; then writes them all and appends each outbox-worthy one, in order. Exactly one of a
   * payment and an expiry of the same purchase can ever pass. A write at or below the stored
   * sequence is a retry and completes normally, writing nothing.
   *
   * <p>Completes exceptionally with {@link StoreRejectedException} (nothing written) when a check
   * fails, and {@link StoreFencedException} for a stale epoch.
   */
  CompletableFuture<Void> persistOrders(OrderWrite write, long fencingEpoch);

  /** Everything a new leader needs to go on; bounded by stock and the waitlist bound. */
  OrderSnapshot loadOrders(String eventId);

  Optional<OrderRecord> findOrder(String eventId, String requestId);

  /** How many ever joined the event's waitlist, as stored (one field: never the orders themselves). */
  long storedWaitlistJoins(String eventId);

  /**
   * The rank the stored book enrolled decisions through (one field): a loser for lack of stock at
   * or below it with no stored order was given no place. This default reads every order; stores
   * read the one field.
   */
  default long storedEnrolledThroughRank(String eventId) {
    return loadOrders(eventId).enrolledThroughRank();
  }

  /** The transitions in the event's outbox, in order (read in pages); wins are {@link ArbiterStore#readOutbox}'s. */
  List<OrderTransition> readTransitions(String eventId);
}
