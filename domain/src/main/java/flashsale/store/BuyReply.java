package flashsale.store;

import flashsale.sale.Decision;

/** What a pool answered to a purchase. */
public sealed interface BuyReply {

  /**
   * The request's decision. {@code retry} when it was decided before: the caller must check that
   * the stored purchase is the same as the one asked for (else the request id was reused).
   */
  record Decided(Decision decision, boolean retry) implements BuyReply {}

  /** A shard could not serve the quantity and was told not to decide yet; nothing was written. */
  record Short(long remainingUnits) implements BuyReply {}
}
