package flashsale.arbiter.core.orders;

import flashsale.orders.OrderRecord;
import flashsale.orders.PurchaseState;
import java.util.Optional;

/**
 * The order book's answer to a confirm or cancel: whether the request took effect (or had
 * already, for a repeat), the purchase as the call left it, and the write that must be durable
 * before the caller hears it (0 when nothing is waiting to be written). The purchase travels with
 * the answer because the book may be gone by the time the write is stored: the change that
 * settles an event also lets its book go.
 *
 * @param order the purchase after the call; empty when {@link Outcome#UNKNOWN}
 */
public record OrderAnswer(Outcome outcome, Optional<OrderRecord> order, long durableAtSequence) {

  public enum Outcome {
    /** The purchase is in the state asked for (now, or already by an earlier call). */
    DONE,
    /** The book has no such purchase in its lifecycle (never decided, or lost without a waitlist place). */
    UNKNOWN,
    /** The purchase is in a state from which the request cannot take it ({@link #order} says which). */
    REFUSED
  }

  public OrderAnswer {
    if (order.isEmpty() != (outcome == Outcome.UNKNOWN)) {
      throw new IllegalArgumentException(outcome + " answer " + (order.isEmpty() ? "without" : "with") + " a purchase");
    }
  }

  static OrderAnswer unknown() {
    return new OrderAnswer(Outcome.UNKNOWN, Optional.empty(), 0);
  }

  /** The purchase's state after the call. */
  public PurchaseState state() {
    return order.orElseThrow(() -> new IllegalStateException("no purchase in an " + outcome + " answer")).state();
  }

  public boolean done() {
    return outcome == Outcome.DONE;
  }
}
