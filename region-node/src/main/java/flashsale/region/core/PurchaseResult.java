package flashsale.region.core;

import flashsale.sale.Ticket;

/** What a purchase attempt turned into at the region. */
public sealed interface PurchaseResult {

  /** A result that ends the call: an answer or an error. */
  sealed interface Settled extends PurchaseResult {}

  /** A new pending ticket: stamped here, to be sent to the arbiter. */
  record Ticketed(Ticket ticket) implements PurchaseResult {}

  /** A retry of a purchase that is already pending: wait for the same decision. */
  record Joined(Ticket ticket) implements PurchaseResult {}

  record Decided(Answer answer) implements Settled {}

  record Failed(Failure failure) implements Settled {}
}
