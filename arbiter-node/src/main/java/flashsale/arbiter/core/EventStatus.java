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
    return new PersistedCounters(head).status(head.spec().eventId(), 0);
  }
}
