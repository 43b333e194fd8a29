package flashsale.sale;

import java.util.List;
import java.util.Optional;

/**
 * Consecutive decisions of one event, persisted atomically before anyone hears of them.
 *
 * @param sequence 1-based per event; the store applies batches in this order exactly once
 * @param decisions ranks strictly consecutive
 * @param releasedThrough the last ticket released in global order once this batch is decided (it
 *     may be in an earlier batch); stored so a new leader knows which tickets are late
 */
public record DecisionBatch(
    String eventId, long sequence, List<Decision> decisions, Optional<EventHead.Released> releasedThrough) {

  /** A batch whose last ticket decided in order (not late) is the last released. */
  public DecisionBatch(String eventId, long sequence, List<Decision> decisions) {
    this(eventId, sequence, decisions,
        decisions.stream().filter(d -> !d.late()).reduce((a, b) -> b)
            .map(d -> EventHead.Released.of(d.ticket())));
  }

  public DecisionBatch {
    decisions = List.copyOf(decisions);
    java.util.Objects.requireNonNull(releasedThrough, "releasedThrough");
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

  public long lateDecisions() {
    return decisions.stream().filter(Decision::late).count();
  }

  public long unitsWon() {
    return decisions.stream().mapToLong(Decision::unitsWon).sum();
  }
}
