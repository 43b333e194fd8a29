package flashsale.arbiter.core;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventLedger;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.store.StoreRefusedException;
import java.util.Optional;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test stand-in for the durable store: applies batches with the real store's refusals (rank gap,
 * double decision, oversell, per-user limit) and, as an oracle, re-derives every decision's
 * outcome from its own stock so a wrong decision rule fails here. Like the real store it refuses
 * (writing nothing) a batch that re-decides a decided request id or pushes a user past the limit,
 * with the stored facts. Gives heads for restarts.
 */
final class LedgerStore {

  private final Map<String, Stored> events = new LinkedHashMap<>();

  private static final class Stored {
    final EventSpec spec;
    final List<Decision> decisions = new ArrayList<>();
    final Map<String, Decision> byRequest = new HashMap<>();
    final Map<String, Long> unitsWonByUser = new HashMap<>();
    long remainingStock;
    Optional<EventHead.Released> released = Optional.empty();

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

  /**
   * Applies a batch atomically; throws StoreRefusedException as the real store would, or
   * AssertionError when it breaks a rule the sequencer must never break. Writes nothing then.
   */
  void apply(DecisionBatch batch) {
    Stored event = stored(batch.eventId());
    refuse(event, batch);
    long remaining = event.remainingStock;
    Map<String, Long> units = new HashMap<>(event.unitsWonByUser);
    long rank = event.decisions.size();
    for (Decision decision : batch.decisions()) {
      if (decision.rank() != ++rank) throw new AssertionError("rank gap at " + decision);
      if (event.byRequest.containsKey(decision.requestId())) throw new AssertionError("decided twice: " + decision);
      long userUnits = units.getOrDefault(decision.ticket().userId(), 0L);
      LossReason expected = expectedReason(event.spec.perUserLimit(), remaining, userUnits, decision.ticket().quantity());
      boolean backdated = decision.lossReason() == LossReason.STAMP_OUT_OF_BOUNDS && !decision.won();
      if (expected != decision.lossReason() && !stockLossOverLimit(expected, decision, remaining) && !backdated) {
        throw new AssertionError("expected " + expected + " for " + decision);
      }
      remaining -= decision.unitsWon();
      units.put(decision.ticket().userId(), userUnits + decision.unitsWon());
    }
    if (remaining < 0) throw new AssertionError("oversold " + batch);
    event.remainingStock = remaining;
    event.unitsWonByUser.putAll(units);
    if (batch.releasedThrough().isPresent()) event.released = batch.releasedThrough();
    for (Decision decision : batch.decisions()) {
      event.decisions.add(decision);
      event.byRequest.put(decision.requestId(), decision);
    }
  }

  private static void refuse(Stored event, DecisionBatch batch) {
    Map<String, Decision> decided = new HashMap<>();
    Map<String, Long> totals = new HashMap<>();
    Map<String, Long> over = new HashMap<>();
    for (Decision d : batch.decisions()) {
      Decision stored = event.byRequest.get(d.requestId());
      if (stored != null) {
        decided.put(d.requestId(), stored);
      } else if (d.won()) {
        long held = event.unitsWonByUser.getOrDefault(d.ticket().userId(), 0L);
        long total = totals.getOrDefault(d.ticket().userId(), held) + d.unitsWon();
        totals.put(d.ticket().userId(), total);
        if (total > event.spec.perUserLimit()) over.putIfAbsent(d.ticket().userId(), held);
      }
    }
    if (!decided.isEmpty() || !over.isEmpty()) throw new StoreRefusedException(batch.eventId(), decided, over);
  }

  /**
   * A user over the limit through units of an earlier term, whose ticket also lost for lack of
   * stock: the leader does not hold those units, so the stock reason it gives is as true.
   */
  private static boolean stockLossOverLimit(LossReason expected, Decision decision, long remaining) {
    if (expected != LossReason.LIMIT_EXCEEDED || decision.won()) return false;
    int quantity = decision.ticket().quantity();
    LossReason byStock = remaining == 0 ? LossReason.SOLD_OUT : remaining < quantity ? LossReason.INSUFFICIENT_STOCK : null;
    return decision.lossReason() == byStock;
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

  /** What a new leader loads. */
  EventHead head(String eventId) {
    EventHead derived = ledger(eventId).head();
    return new EventHead(derived.spec(), derived.remainingStock(), derived.lastRank(), derived.wins(),
        derived.lateDecisions(), derived.soldOutMicros(), stored(eventId).released);
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
