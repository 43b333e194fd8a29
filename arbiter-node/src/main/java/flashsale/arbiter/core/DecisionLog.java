package flashsale.arbiter.core;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An event's decisions on their way to the store and back to the regions. At most one batch is
 * in flight; its decisions are told only once the store holds them, to the origin region and to
 * every other region that submitted the same request id.
 */
final class DecisionLog {

  private final String eventId;
  private final PersistedCounters counters;
  private final Map<String, Decision> persisted = new HashMap<>();
  private final Map<String, Set<String>> extraSubscribers = new HashMap<>();
  private DecisionBatch inFlightBatch;
  private long nextSequence = 1;
  private long lastPersistedSequence;

  DecisionLog(String eventId, long stock) {
    this.eventId = eventId;
    this.counters = new PersistedCounters(stock);
  }

  /** Restores decisions the store already holds, in rank order. */
  void restore(List<Decision> decisions) {
    for (int i = 0; i < decisions.size(); i++) {
      Decision decision = decisions.get(i);
      if (decision.rank() != i + 1) {
        throw new IllegalStateException("ledger of " + eventId + " has rank " + decision.rank() + " at index " + i);
      }
      if (persisted.put(decision.requestId(), decision) != null) {
        throw new IllegalStateException("ledger of " + eventId + " decides " + decision.requestId() + " twice");
      }
      counters.count(decision);
    }
  }

  Decision persisted(String requestId) {
    return persisted.get(requestId);
  }

  boolean hasBatchInFlight() {
    return inFlightBatch != null;
  }

  PersistedCounters counters() {
    return counters;
  }

  /** Also tells {@code region} the decision of {@code requestId} once it is durable. */
  void subscribe(String requestId, String region) {
    extraSubscribers.computeIfAbsent(requestId, id -> new LinkedHashSet<>()).add(region);
  }

  /** Sends the next batch to the store. */
  DecisionBatch begin(List<Decision> decisions) {
    if (inFlightBatch != null) {
      throw new IllegalStateException("batch " + inFlightBatch.sequence() + " of " + eventId + " still in flight");
    }
    inFlightBatch = new DecisionBatch(eventId, nextSequence++, decisions);
    return inFlightBatch;
  }

  /**
   * The store holds batch {@code sequence}: tells its decisions and, if it took the last unit,
   * the sold-out stamp. A repeated acknowledgement of an earlier batch is ignored.
   *
   * @return the decisions now durable; none for a repeated acknowledgement
   */
  List<Decision> complete(long sequence, List<Effect> effects) {
    if (inFlightBatch == null || sequence != inFlightBatch.sequence()) {
      if (sequence >= 1 && sequence <= lastPersistedSequence) return List.of();
      throw new IllegalStateException("batch " + sequence + " of " + eventId + " was never sent to the store");
    }
    Map<String, List<Decision>> byRegion = new LinkedHashMap<>();
    boolean soldOut = false;
    for (Decision decision : inFlightBatch.decisions()) {
      persisted.put(decision.requestId(), decision);
      soldOut |= counters.count(decision);
      route(byRegion, decision.ticket().region(), decision);
      Set<String> extra = extraSubscribers.remove(decision.requestId());
      if (extra != null) extra.forEach(region -> route(byRegion, region, decision));
    }
    byRegion.forEach((region, decisions) -> effects.add(new Effect.SendDecisions(region, List.copyOf(decisions))));
    if (soldOut) effects.add(new Effect.BroadcastSoldOut(eventId, counters.soldOutMicros().getAsLong()));
    lastPersistedSequence = sequence;
    List<Decision> completed = inFlightBatch.decisions();
    inFlightBatch = null;
    return completed;
  }

  private static void route(Map<String, List<Decision>> byRegion, String region, Decision decision) {
    List<Decision> decisions = byRegion.computeIfAbsent(region, r -> new ArrayList<>());
    if (decisions.isEmpty() || decisions.get(decisions.size() - 1) != decision) decisions.add(decision);
  }
}
