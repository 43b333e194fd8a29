package flashsale.arbiter.core.orders;

import flashsale.orders.OrderTransition;
import flashsale.orders.OrderWrite;
import java.util.List;

/** What an {@link OrderBook} asks its adapters to do, in the order returned. */
public sealed interface OrderEffect {

  /** Write this atomically; report back with {@link OrderBook#persisted}. One per event in flight. */
  record PersistOrders(OrderWrite write) implements OrderEffect {}

  /**
   * The store holds every transition up to write {@code sequence}: answers waiting on it may be
   * given, and these transitions told (watchers).
   *
   * @param waitlistFull the waitlist has reached its bound as stored: a loser for lack of stock
   *     without an order by now never gets one
   * @param notWaitlisted losers for lack of stock this write's enrolled rank covers that were given
   *     no place because their user already holds what the limit allows (state NOT_WAITLISTED):
   *     no order is stored for them, the stored rank says they were passed over
   */
  record OrdersDurable(String eventId, long sequence, List<OrderTransition> transitions, boolean waitlistFull,
      List<flashsale.orders.OrderRecord> notWaitlisted) implements OrderEffect {
    public OrdersDurable {
      transitions = List.copyOf(transitions);
      notWaitlisted = List.copyOf(notWaitlisted);
    }

    public OrdersDurable(String eventId, long sequence, List<OrderTransition> transitions, boolean waitlistFull) {
      this(eventId, sequence, transitions, waitlistFull, List.of());
    }
  }
}
