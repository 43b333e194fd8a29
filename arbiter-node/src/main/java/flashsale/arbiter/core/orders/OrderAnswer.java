package flashsale.arbiter.core.orders;

import flashsale.orders.PurchaseState;

/**
 * The order book's answer to a confirm or cancel: the purchase's state after it, whether the
 * request took effect (or had already, for a repeat), and the write that must be durable before
 * the caller hears it (0 when nothing is waiting to be written).
 */
public record OrderAnswer(Outcome outcome, PurchaseState state, long durableAtSequence) {

  public enum Outcome {
    /** The purchase is in the state asked for (now, or already by an earlier call). */
    DONE,
    /** The book has no such purchase in its lifecycle (never decided, or lost without a waitlist place). */
    UNKNOWN,
    /** The purchase is in a state from which the request cannot take it ({@link #state} says which). */
    REFUSED
  }

  public boolean done() {
    return outcome == Outcome.DONE;
  }
}
