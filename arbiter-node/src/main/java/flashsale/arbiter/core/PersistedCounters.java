package flashsale.arbiter.core;

import flashsale.sale.Decision;
import flashsale.sale.EventHead;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/** An event's counters as the store holds them: advanced only by persisted decisions. */
final class PersistedCounters {

  private final long stock;
  private long remainingStock;
  private long decisions;
  private long wins;
  private long lateTickets;
  private OptionalLong soldOutMicros;
  private final Map<String, Long> remainingBySlot;

  PersistedCounters(EventHead head) {
    this.stock = head.spec().stock();
    this.remainingStock = head.remainingStock();
    this.decisions = head.lastRank();
    this.wins = head.wins();
    this.lateTickets = head.lateDecisions();
    this.soldOutMicros = head.soldOutMicros();
    this.remainingBySlot = new LinkedHashMap<>(head.remainingBySlot());
  }

  /** Counts a persisted decision; true when it took the last unit. */
  boolean count(Decision decision) {
    decisions++;
    if (decision.late()) lateTickets++;
    if (decision.unitsWon() == 0) return false; // a loss, or a standing bid (its unit goes at the close)
    wins++;
    remainingStock -= decision.unitsWon();
    if (!decision.slot().isEmpty() && remainingBySlot.merge(decision.slot(), -(long) decision.unitsWon(), Long::sum) < 0) {
      throw new IllegalStateException("persisted decisions overfilled slot " + decision.slot() + " of "
          + decision.eventId() + " at rank " + decision.rank());
    }
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
    return new EventStatus(eventId, remainingStock, stock - remainingStock, decisions, wins, decisions - wins,
        lateTickets, pendingTickets, soldOutMicros, Map.copyOf(remainingBySlot));
  }
}
