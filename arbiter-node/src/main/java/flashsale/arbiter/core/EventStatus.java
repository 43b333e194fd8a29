package flashsale.arbiter.core;

import java.util.OptionalLong;

/**
 * Live counters of one event, as of the last persisted batch.
 *
 * @param soldOutMicros stamp of the winner that took the last unit, once sold out
 * @param remainingBySlot a reservation's units left per slot; empty for a flash sale
 */
public record EventStatus(
    String eventId,
    long remainingStock,
    long unitsSold,
    long decisions,
    long wins,
    long losses,
    long lateTickets,
    long pendingTickets,
    OptionalLong soldOutMicros,
    java.util.Map<String, Long> remainingBySlot) {

  /** The counters of an event the store holds, for one no sequencer holds (finished, or not loaded). */
  public static EventStatus of(flashsale.sale.EventHead head) {
    return new PersistedCounters(head).status(head.spec().eventId(), 0).withAuction(head.auction());
  }

  /**
   * An auction's counters: its decisions are bids, which take no unit when judged (their
   * {@code units_won} is 0), so wins come from the standing. Once closed, each winning bid is a win
   * of one unit; while open, a standing bid is neither won nor lost yet. Unchanged for other kinds.
   */
  EventStatus withAuction(java.util.Optional<flashsale.sale.AuctionStanding> standing) {
    if (standing.isEmpty()) return this;
    if (wins != 0 || unitsSold != 0) {
      throw new IllegalStateException("auction " + eventId + " counted " + wins + " wins from its bids");
    }
    long standingBids = standing.get().bids().size();
    if (!standing.get().closed()) {
      return new EventStatus(eventId, remainingStock, 0, decisions, 0, losses - standingBids, lateTickets,
          pendingTickets, soldOutMicros, remainingBySlot);
    }
    return new EventStatus(eventId, remainingStock - standingBids, standingBids, decisions, standingBids,
        losses - standingBids, lateTickets, pendingTickets, soldOutMicros, remainingBySlot);
  }
}
