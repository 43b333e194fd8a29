package flashsale.orders;

import java.util.List;
import java.util.Objects;

/**
 * What one event's order book hands the store in one atomic call: its transitions in order, and
 * the last decided rank they enrol (so a new leader enrols only what comes after).
 *
 * @param sequence 1, 2, ... per event across leaders: a write at or below the stored sequence is
 *     a retry
 */
public record OrderWrite(String eventId, long sequence, long enrolledThroughRank, List<OrderTransition> transitions) {
  public OrderWrite {
    Objects.requireNonNull(eventId, "eventId");
    if (sequence < 1) throw new IllegalArgumentException("sequence < 1: " + sequence);
    transitions = List.copyOf(transitions);
  }
}
