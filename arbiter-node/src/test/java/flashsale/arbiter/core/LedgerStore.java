package flashsale.arbiter.core;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventLedger;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test stand-in for the durable store: applies batches with the real store's refusals (rank gap,
 * double decision, oversell, per-user limit) and, as an oracle, re-derives every decision's
 * outcome from its own stock so a wrong decision rule fails here. Rebuilds ledgers for restarts.
 */
final class LedgerStore {

  private final Map<String, Stored> events = new LinkedHashMap<>();

  private static final class Stored {
    final EventSpec spec;
    final List<Decision> decisions = new ArrayList<>();
    final Map<String, Decision> byRequest = new HashMap<>();
    final Map<String, Long> unitsWonByUser = new HashMap<>();
    long remainingStock;

    Stored(EventSpec spec) {
      this.spec = spec;
      this.remainingStock = spec.stock();
    }
  }

  void create(EventSpec spec) {
    if (events.putIfAbsent(spec.eventId(), new Stored(spec)) != null) throw new AssertionError("exists " + spec.eventId());
  }

  boolean exists(String eventId) {
    return events.containsKey(eventId);
  }

  /** Applies a batch atomically, or throws AssertionError (before writing anything) when it breaks a rule. */
  void apply(DecisionBatch batch) {
    Stored event = stored(batch.eventId());
    long remaining = event.remainingStock;
    Map<String, Long> units = new HashMap<>(event.unitsWonByUser);
    long rank = event.decisions.size();
    for (Decision decision : batch.decisions()) {
      if (decision.rank() != ++rank) throw new AssertionError("rank gap at " + decision);
      if (event.byRequest.containsKey(decision.requestId())) throw new AssertionError("decided twice: " + decision);
      long userUnits = units.getOrDefault(decision.ticket().userId(), 0L);
      LossReason expected = expectedReason(event.spec.perUserLimit(), remaining, userUnits, decision.ticket().quantity());
      if (expected != decision.lossReason()) throw new AssertionError("expected " + expected + " for " + decision);
      remaining -= decision.unitsWon();
      units.put(decision.ticket().userId(), userUnits + decision.unitsWon());
    }
    if (remaining < 0) throw new AssertionError("oversold " + batch);
    event.remainingStock = remaining;
    event.unitsWonByUser.putAll(units);
    for (Decision decision : batch.decisions()) {
      event.decisions.add(decision);
      event.byRequest.put(decision.requestId(), decision);
    }
  }

  private static LossReason expectedReason(int limit, long remaining, long userUnits, int quantity) {
    if (userUnits + quantity > limit) return LossReason.LIMIT_EXCEEDED;
    if (remaining == 0) return LossReason.SOLD_OUT;
    return remaining < quantity ? LossReason.INSUFFICIENT_STOCK : LossReason.NONE;
  }

  EventLedger ledger(String eventId) {
    Stored event = stored(eventId);
    return new EventLedger(event.spec, event.remainingStock, event.unitsWonByUser, event.decisions);
  }

  Decision decision(String eventId, String requestId) {
    return stored(eventId).byRequest.get(requestId);
  }

  List<Decision> decisions(String eventId) {
    return List.copyOf(stored(eventId).decisions);
  }

  long remainingStock(String eventId) {
    return stored(eventId).remainingStock;
  }

  long unitsWon(String eventId, String userId) {
    return stored(eventId).unitsWonByUser.getOrDefault(userId, 0L);
  }

  EventSpec spec(String eventId) {
    return stored(eventId).spec;
  }

  List<String> eventIds() {
    return List.copyOf(events.keySet());
  }

  private Stored stored(String eventId) {
    Stored event = events.get(eventId);
    if (event == null) throw new AssertionError("no event " + eventId);
    return event;
  }
}
