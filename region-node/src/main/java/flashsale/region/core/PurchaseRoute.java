package flashsale.region.core;

import flashsale.sale.EventSpec;

/**
 * Where a purchase (or bid) of an event goes: the arbiter's sequencer, or this region's own seller
 * for the event's mode (CENTRAL, SHARDED), which never reaches the sequencer. See
 * {@link RegionCore#route}.
 */
public sealed interface PurchaseRoute {
  /** GLOBAL_ORDER, or an event this region does not know or does not sell: the core decides it. */
  record ToSequencer() implements PurchaseRoute {}

  /** This region's seller of the event's mode decides it; stamped at its read. */
  record ToSeller(EventSpec spec, long stampMicros) implements PurchaseRoute {}

  /**
   * A new purchase of a mode sold here, over its buyer's rate limit. The region cannot tell a retry
   * from a new purchase without asking the seller's store, so the adapter answers a request id the
   * store already decided with that decision, and anything else (a retry still undecided too: its
   * first call gets the decision) with {@code failure}. Not stamped: nothing is sold.
   */
  record Limited(EventSpec spec, Failure failure) implements PurchaseRoute {}

  /** Refused before any seller sees it. */
  record Refused(Failure failure) implements PurchaseRoute {}
}
