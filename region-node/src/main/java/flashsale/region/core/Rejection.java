package flashsale.region.core;

/** Why the arbiter refused to rank one of this region's tickets. */
public enum Rejection {
  /** Same request id seen with another user, event or quantity. */
  REQUEST_ID_CONFLICT,
  /** This region's clock is provably off by more than the tolerated skew. */
  CLOCK_SKEW,
  /** Unknown event, stamp outside the sale window, or a region that does not sell it. */
  EVENT_NOT_OPEN
}
