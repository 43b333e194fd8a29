package flashsale.orders;

import java.util.List;
import java.util.Objects;

/**
 * What one event's order book hands the store in one atomic call: its transitions in order, and
 * the last decided rank they enrol (so a new leader enrols only what comes after).
 *
 * @param sequence 1, 2, ... per event across leaders: a write at or below the stored sequence is
 *     a retry
 * @param unsoldUnitsFreed the stock the sale never sold, freed for the waitlist once the sale ended
 *     (its wins plus these make the stock); 0 in every write but one, at most once per event
 */
public record OrderWrite(String eventId, long sequence, long enrolledThroughRank, List<OrderTransition> transitions,
    long unsoldUnitsFreed) {
  public OrderWrite {
    Objects.requireNonNull(eventId, "eventId");
    if (sequence < 1) throw new IllegalArgumentException("sequence < 1: " + sequence);
    if (unsoldUnitsFreed < 0) throw new IllegalArgumentException("unsoldUnitsFreed < 0: " + unsoldUnitsFreed);
    transitions = List.copyOf(transitions);
  }

  /** A write that frees no unsold stock. */
  public OrderWrite(String eventId, long sequence, long enrolledThroughRank, List<OrderTransition> transitions) {
    this(eventId, sequence, enrolledThroughRank, transitions, 0);
  }
}
