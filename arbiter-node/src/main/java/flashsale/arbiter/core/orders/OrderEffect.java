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
   */
  record OrdersDurable(String eventId, long sequence, List<OrderTransition> transitions, boolean waitlistFull)
      implements OrderEffect {
    public OrdersDurable {
      transitions = List.copyOf(transitions);
    }

  }
}
