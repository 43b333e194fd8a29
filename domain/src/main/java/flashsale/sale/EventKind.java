package flashsale.sale;

/** What an event sells; every kind runs on the same stamps, frontier and store batches. */
public enum EventKind {
  /** The first units by global order win (all or nothing per request). */
  FLASH_SALE,
  /**
   * Named slots with capacities; in global order each request gets the first slot on its list
   * with room for its whole quantity (serial dictatorship).
   */
  RESERVATION,
  /**
   * Bids judged in global stamp order against the current best; the best bids stamped before the
   * (possibly soft-extended) close win.
   */
  AUCTION
}
