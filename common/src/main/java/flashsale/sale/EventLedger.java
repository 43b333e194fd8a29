package flashsale.sale;

import java.util.List;
import java.util.Map;

/**
 * An event's durable state as the store holds it: what a (new) leader rebuilds from before it
 * decides anything.
 *
 * @param decisions every decision so far, in rank order (rank i at index i-1)
 * @param unitsWonByUser units each user has won so far
 */
public record EventLedger(
    EventSpec spec, long remainingStock, Map<String, Long> unitsWonByUser, List<Decision> decisions) {

  public EventLedger {
    unitsWonByUser = Map.copyOf(unitsWonByUser);
    decisions = List.copyOf(decisions);
    if (remainingStock < 0 || remainingStock > spec.stock()) {
      throw new IllegalStateException("remaining stock " + remainingStock + " outside [0, " + spec.stock() + "]");
    }
  }

  /** The ledger of an event nobody has bought from yet. */
  public static EventLedger fresh(EventSpec spec) {
    return new EventLedger(spec, spec.stock(), Map.of(), List.of());
  }

  public long lastRank() {
    return decisions.size();
  }
}
