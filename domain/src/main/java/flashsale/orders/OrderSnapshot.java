package flashsale.orders;

import java.util.List;
import java.util.Optional;

/**
 * An event's order state as stored, for a new leader: its terms, every purchase in the lifecycle
 * (bounded by stock plus the waitlist bound, never by the event's history), the units released
 * and not yet handed on, where the write sequence and enrolment stand, and how many ever joined the
 * waitlist (its bound counts joins), the units the sale's wins took (the sale sells on until they
 * reach the stock) and the stock it never sold, once freed for the waitlist at its end.
 */
public record OrderSnapshot(Optional<OrderTerms> terms, List<OrderRecord> orders, long freeUnits, long lastSequence,
    long enrolledThroughRank, long waitlistJoined, long enrolledWinUnits, long unsoldUnitsFreed) {
  public OrderSnapshot {
    orders = List.copyOf(orders);
  }

  public static OrderSnapshot empty(Optional<OrderTerms> terms) {
    return new OrderSnapshot(terms, List.of(), 0, 0, 0, 0, 0, 0);
  }
}
