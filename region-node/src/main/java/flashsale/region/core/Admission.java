package flashsale.region.core;

import flashsale.sale.Ticket;

/**
 * How the region admitted a purchase attempt: a new ticket for the arbiter, a retry joining a pending
 * one, or settled at once (answered, or failed). The SDK's {@code flashsale.client.PurchaseResult} is
 * what a buyer finally hears.
 */
public sealed interface Admission {

  /** A result that ends the call: an answer or an error. */
  sealed interface Settled extends Admission {}

  /** A new pending ticket: stamped here, to be sent to the arbiter. */
  record Ticketed(Ticket ticket) implements Admission {}

  /** A retry of a purchase that is already pending: wait for the same decision. */
  record Joined(Ticket ticket) implements Admission {}

  record Decided(Answer answer) implements Settled {}

  record Failed(Failure failure) implements Settled {}
}
