package flashsale.sale;

/** Why a ticket lost; {@link #NONE} for a win. */
public enum LossReason {
  NONE,
  /** No stock left at the ticket's turn. */
  SOLD_OUT,
  /** Some stock left, but less than the quantity asked for (all or nothing). */
  INSUFFICIENT_STOCK,
  /** The user already holds the per-user limit. */
  LIMIT_EXCEEDED,
  /**
   * Stamped at or below what its region had already promised, or further behind the arbiter's
   * clock than a region may hold a purchase: back-dated, so it loses without taking stock.
   */
  STAMP_OUT_OF_BOUNDS,
  /** A reservation: units were left, but no slot on the request's list had room for all of it. */
  NO_SLOT_AVAILABLE,
  /** An auction bid that was not accepted: the decision's {@link BidVerdict} says why. */
  BID_NOT_ACCEPTED,
  /**
   * Lost for a reason this build does not know: stored or sent by a newer build during a rolling
   * upgrade. It took no stock, and such a loser is not offered released units. Read as this, not
   * refused: a refusal would hold its batch, and every buyer after it, until the upgrade ended.
   */
  OTHER;

  /** Lost for lack of stock: in an event with a payment window, such a loser may wait for released units. */
  public boolean forLackOfStock() {
    return this == SOLD_OUT || this == INSUFFICIENT_STOCK;
  }
}
