package flashsale.region.core;

import flashsale.orders.OrderRecord;
import flashsale.sale.Decision;
import java.util.Objects;
import java.util.Optional;

/**
 * A decided purchase as its buyer sees it: the decision and, in an event with a payment window,
 * its order as the arbiter stored it.
 *
 * @param paymentWindow the event has a payment window (false also when the region could not ask)
 * @param order empty without a window, for a loss that never waits (not for lack of stock), and
 *     while the decision's order is being stored
 */
public record PurchaseStanding(Decision decision, boolean paymentWindow, Optional<OrderRecord> order) {
  public PurchaseStanding {
    Objects.requireNonNull(decision, "decision");
    Objects.requireNonNull(order, "order");
    if (order.isPresent() && !paymentWindow) {
      throw new IllegalArgumentException("an order for " + decision.requestId() + " in an event without a payment window");
    }
    if (order.isPresent() && !order.get().requestId().equals(decision.requestId())) {
      throw new IllegalArgumentException("order of " + order.get().requestId() + " with the decision of " + decision.requestId());
    }
  }

  /** Just the decision: an event without a payment window. */
  public static PurchaseStanding decided(Decision decision) {
    return new PurchaseStanding(decision, false, Optional.empty());
  }

  public String eventId() {
    return decision.eventId();
  }

  public String requestId() {
    return decision.requestId();
  }

  /**
   * Nothing about it can change any more: any decision without a window, a loss that never waits,
   * an order in a final state (paid, cancelled, expired, not waitlisted).
   */
  public boolean settled() {
    if (!paymentWindow) return true;
    if (order.isPresent()) return order.get().state().isFinal();
    return !waitsForOrder();
  }

  /**
   * Its order is still being stored: a win, or a loss for lack of stock, in an event with a
   * window and no order known yet.
   */
  public boolean orderBeingStored() {
    return paymentWindow && order.isEmpty() && waitsForOrder();
  }

  /** This standing with {@code reported} as its order, if that is a later stage than the one known. */
  public Optional<PurchaseStanding> advancedBy(OrderRecord reported) {
    if (!reported.requestId().equals(requestId()) || !OrderStates.advances(order, reported)) return Optional.empty();
    return Optional.of(new PurchaseStanding(decision, true, Optional.of(reported)));
  }

  /** A win's units, or a loser for lack of stock's place on the waitlist, enter an order. */
  private boolean waitsForOrder() {
    return decision.unitsWon() > 0 || decision.lossReason().forLackOfStock();
  }
}
