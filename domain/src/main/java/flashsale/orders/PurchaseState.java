package flashsale.orders;

/**
 * Where a purchase stands after its decision, in an event with a payment window. A win starts
 * {@link #AWAITING_PAYMENT}; a loser for lack of stock is {@link #WAITLISTED} while the waitlist
 * has room ({@link #NOT_WAITLISTED} beyond it) and may be promoted to {@link #AWAITING_PAYMENT},
 * until nothing can give units back any more ({@link #WAITLIST_CLOSED}). {@link #PAID},
 * {@link #CANCELLED}, {@link #EXPIRED}, {@link #NOT_WAITLISTED} and {@link #WAITLIST_CLOSED} are final.
 */
public enum PurchaseState {
  AWAITING_PAYMENT,
  PAID,
  CANCELLED,
  EXPIRED,
  WAITLISTED,
  NOT_WAITLISTED,
  /** Was waitlisted when the event settled: nobody awaited payment, so no unit could come back. */
  WAITLIST_CLOSED;

  public boolean isFinal() {
    return this != AWAITING_PAYMENT && this != WAITLISTED;
  }
}
