package flashsale.sale;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a new leader needs to go on deciding an event, and no more: its size does not grow with
 * the event's history. Per-user counts and decided request ids stay in the store, whose persist
 * function refuses a batch that breaks them ({@code flashsale.store.StoreRefusedException}).
 *
 * @param lastRank rank of the last decision stored (0 for none)
 * @param wins winning decisions stored
 * @param lateDecisions decisions stored for tickets that arrived behind the order
 * @param soldOutMicros stamp of the winner that took the last unit, once sold out
 * @param lastReleased the last ticket released in global order (stamp and request id, which give
 *     its tie-break): a ticket at or below it is late
 */
public record EventHead(
    EventSpec spec,
    long remainingStock,
    long lastRank,
    long wins,
    long lateDecisions,
    OptionalLong soldOutMicros,
    Optional<Released> lastReleased) {

  /** A ticket's place in the global order: its stamp, then the keyed hash of its request id. */
  public record Released(long stampMicros, String requestId) {}

  public EventHead {
    if (remainingStock < 0 || remainingStock > spec.stock()) {
      throw new IllegalStateException("event " + spec.eventId() + ": remaining stock " + remainingStock
          + " outside [0, " + spec.stock() + "]");
    }
    if (lastRank < 0 || wins < 0 || wins > lastRank || lateDecisions < 0 || lateDecisions > lastRank) {
      throw new IllegalStateException("event " + spec.eventId() + ": inconsistent counters lastRank=" + lastRank
          + " wins=" + wins + " late=" + lateDecisions);
    }
    if ((remainingStock == 0 && spec.stock() > 0) != soldOutMicros.isPresent()) {
      throw new IllegalStateException("event " + spec.eventId() + ": remaining " + remainingStock
          + " disagrees with sold-out stamp " + soldOutMicros);
    }
  }

  /** The head of an event nobody has bought from yet. */
  public static EventHead fresh(EventSpec spec) {
    return new EventHead(spec, spec.stock(), 0, 0, 0, OptionalLong.empty(), Optional.empty());
  }

  public long unitsSold() {
    return spec.stock() - remainingStock;
  }
}
