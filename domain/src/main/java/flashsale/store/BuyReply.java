package flashsale.store;

import flashsale.sale.Decision;

/** What a pool answered to a purchase. */
public sealed interface BuyReply {

  /**
   * The request's decision. {@code retry} when it was decided before: the caller must check that
   * the stored purchase is the same as the one asked for (else the request id was reused).
   */
  record Decided(Decision decision, boolean retry) implements BuyReply {}

  /**
   * A shard could not serve the quantity (or an earlier purchase waits for its stock) and was told
   * not to decide yet; nothing was decided (the shard only marks what waits, see {@code ShardStore#buyShard}).
   */
  record Short(long remainingUnits) implements BuyReply {}
}
