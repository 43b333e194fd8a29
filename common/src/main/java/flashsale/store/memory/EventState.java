package flashsale.store.memory;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventLedger;
import flashsale.sale.EventSpec;
import flashsale.store.StoreFencedException;
import flashsale.store.StoreRejectedException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One event's state inside {@link InMemoryArbiterStore}: the same rules the Redis persist
 * function enforces, checked in full before anything is written. Not thread-safe; the store
 * holds its lock around every call.
 */
final class EventState {
  final String createRequestId;
  final EventSpec spec;
  private long remainingStock;
  private final List<Decision> decisionsByRank = new ArrayList<>();
  private final Map<String, Decision> decisionsByRequestId = new HashMap<>();
  private final Map<String, Long> unitsWonByUser = new HashMap<>();
  private final List<Decision> outbox = new ArrayList<>();
  /** Highest epoch that claimed or wrote this event; lower ones are fenced. */
  private long fenceEpoch;

  EventState(String createRequestId, EventSpec spec) {
    this.createRequestId = createRequestId;
    this.spec = spec;
    this.remainingStock = spec.stock();
  }

  /**
   * Writes the batch, or nothing when it repeats the batch already written at its ranks.
   *
   * @throws StoreRejectedException when the batch breaks a rule; nothing is written then
   * @throws StoreFencedException when {@code fencingEpoch} is stale; nothing is written then
   */
  void apply(DecisionBatch batch, long fencingEpoch) {
    requireCurrent(fencingEpoch);
    long lastRank = decisionsByRank.size();
    if (batch.firstRank() <= lastRank) {
      if (sameAsStored(batch)) return;
      throw rejected("rank " + batch.firstRank() + " is already decided differently (last rank " + lastRank + ")");
    }
    if (batch.firstRank() != lastRank + 1) {
      throw rejected("batch starts at rank " + batch.firstRank() + " but the last decided rank is " + lastRank);
    }
    Map<String, Long> newUserTotals = checkNewDecisions(batch);
    for (Decision d : batch.decisions()) {
      decisionsByRank.add(d);
      decisionsByRequestId.put(d.requestId(), d);
      if (d.won()) outbox.add(d);
    }
    unitsWonByUser.putAll(newUserTotals);
    remainingStock -= batch.unitsWon();
    fenceEpoch = Math.max(fenceEpoch, fencingEpoch);
  }

  /** A new leader claims the event; see {@code ArbiterStore.fenceEvent}. */
  void fence(long fencingEpoch) {
    requireCurrent(fencingEpoch);
    fenceEpoch = fencingEpoch;
  }

  private void requireCurrent(long fencingEpoch) {
    if (fencingEpoch < fenceEpoch) {
      throw new StoreFencedException("epoch " + fencingEpoch + " is below fencing epoch " + fenceEpoch
          + " of event " + spec.eventId());
    }
  }

  private boolean sameAsStored(DecisionBatch batch) {
    int from = Math.toIntExact(batch.firstRank() - 1);
    int to = from + batch.decisions().size();
    return to <= decisionsByRank.size() && decisionsByRank.subList(from, to).equals(batch.decisions());
  }

  /** Returns each winning user's new unit total. */
  private Map<String, Long> checkNewDecisions(DecisionBatch batch) {
    Set<String> seen = new HashSet<>();
    Map<String, Long> totals = new HashMap<>();
    for (Decision d : batch.decisions()) {
      if (!seen.add(d.requestId()) || decisionsByRequestId.containsKey(d.requestId())) {
        throw rejected("request id " + d.requestId() + " is already decided");
      }
      if (!d.won()) continue;
      String user = d.ticket().userId();
      long total = totals.getOrDefault(user, unitsWonByUser.getOrDefault(user, 0L)) + d.unitsWon();
      if (total > spec.perUserLimit()) {
        throw rejected("user " + user + " would hold " + total + " units, limit " + spec.perUserLimit());
      }
      totals.put(user, total);
    }
    if (batch.unitsWon() > remainingStock) {
      throw rejected("batch wins " + batch.unitsWon() + " units but only " + remainingStock + " remain");
    }
    return totals;
  }

  private StoreRejectedException rejected(String why) {
    return new StoreRejectedException("event " + spec.eventId() + ": " + why);
  }

  EventLedger ledger() {
    return new EventLedger(spec, remainingStock, unitsWonByUser, decisionsByRank);
  }

  Decision decision(String requestId) {
    return decisionsByRequestId.get(requestId);
  }

  List<Decision> decisionsAfter(long afterRank, int limit) {
    int from = (int) Math.min(afterRank, decisionsByRank.size());
    int to = (int) Math.min((long) from + limit, decisionsByRank.size());
    return List.copyOf(decisionsByRank.subList(from, to));
  }

  List<Decision> outbox() {
    return List.copyOf(outbox);
  }
}
