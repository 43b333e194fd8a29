package flashsale.sale;

/** How the arbiter answered a bid at its turn in the global order. */
public enum BidAnswer {
  /** The bid stands among the current best (a later bid may still push it out). */
  ACCEPTED,
  /** It met the reserve but did not beat the current last standing bid by the increment. */
  OUTBID,
  /** Below the reserve price. */
  TOO_LOW,
  /** Stamped at or after the close as it stood at the bid's turn. */
  CLOSED
}
