package flashsale.arbiter.core;

import flashsale.sale.Decision;
import java.util.OptionalLong;

/** An event's counters as the store holds them: advanced only by persisted decisions. */
final class PersistedCounters {

  private long remainingStock;
  private long decisions;
  private long wins;
  private long unitsSold;
  private long lateTickets;
  private OptionalLong soldOutMicros = OptionalLong.empty();

  PersistedCounters(long stock) {
    this.remainingStock = stock;
  }

  /** Counts a persisted decision; true when it took the last unit. */
  boolean count(Decision decision) {
    decisions++;
    if (decision.late()) lateTickets++;
    if (!decision.won()) return false;
    wins++;
    unitsSold += decision.unitsWon();
    remainingStock -= decision.unitsWon();
    if (remainingStock < 0) {
      throw new IllegalStateException("persisted decisions oversold " + decision.eventId() + " at rank " + decision.rank());
    }
    if (remainingStock > 0) return false;
    soldOutMicros = OptionalLong.of(decision.ticket().stampMicros());
    return true;
  }

  long remainingStock() {
    return remainingStock;
  }

  OptionalLong soldOutMicros() {
    return soldOutMicros;
  }

  EventStatus status(String eventId, long pendingTickets) {
    return new EventStatus(
        eventId, remainingStock, unitsSold, decisions, wins, decisions - wins, lateTickets, pendingTickets, soldOutMicros);
  }
}
