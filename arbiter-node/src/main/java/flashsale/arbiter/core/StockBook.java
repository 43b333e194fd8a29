package flashsale.arbiter.core;

import flashsale.sale.Decision;
import flashsale.sale.EventLedger;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.Ticket;
import java.util.HashMap;
import java.util.Map;

/**
 * The decision rules against an event's in-memory stock: per-user limit first, then all or
 * nothing against the remaining units. Advances as decisions are made (when a batch is built),
 * ahead of what the store holds, so the next batch builds on the one in flight.
 */
final class StockBook {

  private final long stock;
  private final int perUserLimit;
  private final Map<String, Long> unitsWonByUser;
  private long remainingStock;
  private long lastRank;

  StockBook(EventLedger ledger) {
    this.stock = ledger.spec().stock();
    this.perUserLimit = ledger.spec().perUserLimit();
    this.unitsWonByUser = new HashMap<>(ledger.unitsWonByUser());
    this.remainingStock = ledger.remainingStock();
    this.lastRank = ledger.lastRank();
  }

  /** Decides {@code ticket} as the next rank; winners take their units at once. */
  Decision decide(Ticket ticket, boolean late, long nowMicros) {
    long rank = ++lastRank;
    long unitsWon = unitsWonByUser.getOrDefault(ticket.userId(), 0L);
    LossReason reason = lossReason(unitsWon, ticket.quantity());
    if (reason != LossReason.NONE) {
      return new Decision(ticket, Outcome.LOST, reason, rank, nowMicros, late);
    }
    remainingStock -= ticket.quantity();
    unitsWonByUser.put(ticket.userId(), unitsWon + ticket.quantity());
    if (remainingStock < 0 || unitsWon + ticket.quantity() > perUserLimit) {
      throw new IllegalStateException("decision of " + ticket.requestId() + " oversold " + ticket.eventId());
    }
    return new Decision(ticket, Outcome.WON, LossReason.NONE, rank, nowMicros, late);
  }

  private LossReason lossReason(long unitsWon, int quantity) {
    if (unitsWon + quantity > perUserLimit) return LossReason.LIMIT_EXCEEDED;
    if (remainingStock == 0) return LossReason.SOLD_OUT;
    if (remainingStock < quantity) return LossReason.INSUFFICIENT_STOCK;
    return LossReason.NONE;
  }

  long remainingStock() {
    return remainingStock;
  }

  long stock() {
    return stock;
  }
}
