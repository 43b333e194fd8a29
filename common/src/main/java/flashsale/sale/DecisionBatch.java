package flashsale.sale;

import java.util.List;

/**
 * Consecutive decisions of one event, persisted atomically before anyone hears of them.
 *
 * @param sequence 1-based per event; the store applies batches in this order exactly once
 * @param decisions ranks strictly consecutive
 */
public record DecisionBatch(String eventId, long sequence, List<Decision> decisions) {

  public DecisionBatch {
    decisions = List.copyOf(decisions);
    if (decisions.isEmpty()) throw new IllegalArgumentException("empty batch");
    long expected = decisions.get(0).rank();
    for (Decision d : decisions) {
      if (!d.eventId().equals(eventId)) {
        throw new IllegalArgumentException("decision for " + d.eventId() + " in batch of " + eventId);
      }
      if (d.rank() != expected++) throw new IllegalArgumentException("ranks not consecutive at " + d.rank());
    }
  }

  public long firstRank() {
    return decisions.get(0).rank();
  }

  public long lastRank() {
    return decisions.get(decisions.size() - 1).rank();
  }

  public long unitsWon() {
    return decisions.stream().mapToLong(Decision::unitsWon).sum();
  }
}
