package flashsale.sale;

import java.util.List;
import java.util.Map;

/**
 * An event's whole durable state as the store holds it, read page by page: for audits and tests.
 * A leader never loads it; it loads the {@link EventHead}.
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

  /** The head a leader would load for this ledger (its last in-order decision is the last released). */
  public EventHead head() {
    long wins = decisions.stream().filter(d -> d.unitsWon() > 0).count(); // a standing bid is not a win
    long late = decisions.stream().filter(Decision::late).count();
    java.util.OptionalLong soldOut = java.util.OptionalLong.empty();
    long left = spec.stock();
    for (Decision d : decisions) {
      left -= d.unitsWon();
      if (d.won() && left == 0) soldOut = java.util.OptionalLong.of(d.ticket().stampMicros());
    }
    var released = decisions.stream().filter(d -> !d.late()).reduce((a, b) -> b)
        .map(d -> EventHead.Released.of(d.ticket()));
    return new EventHead(spec, remainingStock, lastRank(), wins, late, soldOut, released,
        EventHead.slotsLeft(spec, decisions));
  }

  public long lastRank() {
    return decisions.size();
  }
}
