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

  /**
   * A request id this node holds nothing of, which it would refuse as new ({@code otherwise}: the
   * sale is over). It may be a retry of one decided before, at another node or before a restart,
   * and a retry gets its decision: the adapter asks the arbiter first, and answers {@code
   * otherwise} only when the arbiter holds none (or cannot say).
   */
  record Unremembered(Failure otherwise) implements Admission {}

  record Decided(Answer answer) implements Settled {}

  record Failed(Failure failure) implements Settled {}
}
