package flashsale.arbiter.core;

import flashsale.sale.Decision;
import flashsale.sale.EventHead;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.RecentUnits;
import flashsale.sale.Ticket;
import java.util.HashMap;
import java.util.Map;

/**
 * The decision rules against an event's in-memory stock: per-user limit first, then all or
 * nothing from the event's {@link Allotment} (one pool for a flash sale, the first slot with room
 * for a reservation); an auction's bids go to its {@link AuctionBook} instead. Advances as decisions are made (when a batch is built),
 * ahead of what the store holds, so the next batch builds on the one in flight; a batch the store
 * refuses is {@linkplain #rollBack rolled back} and decided again.
 *
 * <p>It knows the units of users who won recently in this term only (a bounded cache, off the
 * heap); units won in earlier terms, or forgotten, are the store's, which refuses a batch that
 * would pass the limit and says how many the user holds ({@link #unitsHeld}).
 */
final class StockBook {

  private final long stock;
  private final int perUserLimit;
  private final RecentUnits unitsWonByUser;
  private final Allotment allotment;
  /** An auction's bids; null for the other kinds. */
  private final AuctionBook auction;
  private long lastRank;
  /** State before the batch being built or in flight: what {@link #rollBack} returns to. */
  private long markedLastRank;
  private final Map<String, Long> unitsBeforeMark = new HashMap<>();

  StockBook(EventHead head, int cachedUsers) {
    this.unitsWonByUser = new RecentUnits(cachedUsers);
    this.stock = head.spec().stock();
    this.perUserLimit = head.spec().perUserLimit();
    this.allotment = Allotment.of(head);
    this.auction = head.spec().auction().isPresent() ? new AuctionBook(head) : null;
    this.lastRank = head.lastRank();
    mark();
  }

  /** A new batch starts here: the previous one is durable. */
  void mark() {
    allotment.mark();
    if (auction != null) auction.mark();
    markedLastRank = lastRank;
    unitsBeforeMark.clear();
  }

  /** Forgets every decision since {@link #mark}: the store refused their batch. */
  void rollBack() {
    allotment.rollBack();
    if (auction != null) auction.rollBack();
    lastRank = markedLastRank;
    unitsBeforeMark.forEach(unitsWonByUser::put); // 0 forgets the user
    unitsBeforeMark.clear();
  }

  /** The store holds {@code units} of {@code user} (won in any term); only after {@link #rollBack}. */
  void unitsHeld(String user, long units) {
    if (!unitsBeforeMark.isEmpty()) throw new IllegalStateException("units of " + user + " learnt mid-batch");
    unitsWonByUser.put(user, Math.max(units, unitsWonByUser.get(user)));
  }

  /** Decides {@code ticket} as the next rank; winners take their units at once. */
  Decision decide(Ticket ticket, boolean late, long nowMicros) {
    long rank = ++lastRank;
    if (auction != null) return auction.judge(ticket, rank, late, nowMicros);
    long unitsWon = unitsWonByUser.get(ticket.userId());
    if (unitsWon + ticket.quantity() > perUserLimit) {
      return new Decision(ticket, Outcome.LOST, LossReason.LIMIT_EXCEEDED, rank, nowMicros, late);
    }
    String slot = allotment.take(ticket);
    if (slot == null) {
      return new Decision(ticket, Outcome.LOST, allotment.shortOf(ticket.quantity()), rank, nowMicros, late);
    }
    unitsBeforeMark.putIfAbsent(ticket.userId(), unitsWon);
    unitsWonByUser.put(ticket.userId(), unitsWon + ticket.quantity());
    // Slots are taken only where they have room; what the store holds of them is checked on load
    // (EventHead) and with every persisted decision (PersistedCounters).
    if (allotment.remaining() < 0) {
      throw new IllegalStateException("decision of " + ticket.requestId() + " oversold " + ticket.eventId());
    }
    return new Decision(ticket, Outcome.WON, LossReason.NONE, rank, nowMicros, late, false, slot);
  }

  /** Decides a back-dated ticket as the next rank: it loses and takes nothing. */
  Decision refuseBackdated(Ticket ticket, long nowMicros) {
    return new Decision(ticket, Outcome.LOST, LossReason.STAMP_OUT_OF_BOUNDS, ++lastRank, nowMicros, true);
  }

  /** The auction's bids; empty for the other kinds. */
  java.util.Optional<AuctionBook> auction() {
    return java.util.Optional.ofNullable(auction);
  }

  long remainingStock() {
    return allotment.remaining();
  }

  long stock() {
    return stock;
  }
}
