package flashsale.orders;

/**
 * Where a purchase stands after its decision, in an event with a payment window. A win starts
 * {@link #AWAITING_PAYMENT}; a loser for lack of stock is {@link #WAITLISTED} while the waitlist
 * has room ({@link #NOT_WAITLISTED} beyond it) and may be promoted to {@link #AWAITING_PAYMENT}.
 * {@link #PAID}, {@link #CANCELLED} and {@link #EXPIRED} are final.
 */
public enum PurchaseState {
  AWAITING_PAYMENT,
  PAID,
  CANCELLED,
  EXPIRED,
  WAITLISTED,
  NOT_WAITLISTED;

  public boolean isFinal() {
    return this == PAID || this == CANCELLED || this == EXPIRED || this == NOT_WAITLISTED;
  }
}
