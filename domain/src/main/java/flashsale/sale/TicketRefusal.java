package flashsale.sale;

/**
 * Why the arbiter refused to rank a region's ticket (the arbiter decides it, the region answers
 * its caller by it; on the wire, {@code flashsale.v1.RejectionReason}).
 */
public enum TicketRefusal {
  /** Same request id seen with another user, event or quantity. */
  REQUEST_ID_CONFLICT,
  /** The region's clock is provably off by more than the tolerated skew. */
  CLOCK_SKEW,
  /** Unknown event, stamp outside the sale window, or a region that does not sell it. */
  EVENT_NOT_OPEN
}
