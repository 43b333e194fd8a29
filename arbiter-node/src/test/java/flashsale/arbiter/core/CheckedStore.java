package flashsale.arbiter.core;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventLedger;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.store.StoreRefusedException;
import flashsale.store.memory.InMemoryArbiterStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * The contract-tested {@link InMemoryArbiterStore}, with the calls the sequencer tests make, and
 * an oracle on top: before each batch is written, every decision's outcome is derived again from
 * the stored stock and units, so a wrong decision rule fails here. The store's own refusals
 * ({@link StoreRefusedException}) reach the caller as the loop would see them; a batch the store
 * rejects as breaking a rule (oversell, rank gap) is an AssertionError.
 */
final class CheckedStore {
  private final InMemoryArbiterStore store = new InMemoryArbiterStore();
  private final List<String> eventIds = new ArrayList<>();

  void create(EventSpec spec) {
    store.createEvent("create-" + spec.eventId(), spec);
    eventIds.add(spec.eventId());
  }

  boolean exists(String eventId) {
    return store.findEvent(eventId).isPresent();
  }

  /**
   * Writes a batch atomically; throws StoreRefusedException as the store refuses it, or
   * AssertionError when it breaks a rule the sequencer must never break.
   */
  void apply(DecisionBatch batch) {
    String wrong = wrongOutcome(store.loadLedger(batch.eventId()), batch);
    try {
      store.persistBatch(batch).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof StoreRefusedException refused) throw refused;
      throw new AssertionError("store rejected " + batch + ": " + e.getCause().getMessage(), e.getCause());
    }
    if (wrong != null) throw new AssertionError(wrong);
  }

  /** The first decision of the batch whose outcome the stored state does not give, or null. */
  private static String wrongOutcome(EventLedger ledger, DecisionBatch batch) {
    long remaining = ledger.remainingStock();
    Map<String, Long> units = new HashMap<>(ledger.unitsWonByUser());
    for (Decision decision : batch.decisions()) {
      long userUnits = units.getOrDefault(decision.ticket().userId(), 0L);
      LossReason expected = expectedReason(ledger.spec().perUserLimit(), remaining, userUnits, decision.ticket().quantity());
      boolean backdated = decision.lossReason() == LossReason.STAMP_OUT_OF_BOUNDS && !decision.won();
      if (expected != decision.lossReason() && !stockLossOverLimit(expected, decision, remaining) && !backdated) {
        return "expected " + expected + " for " + decision;
      }
      remaining -= decision.unitsWon();
      units.put(decision.ticket().userId(), userUnits + decision.unitsWon());
    }
    return null;
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

  /** What a new leader loads. */
  EventHead head(String eventId) {
    return store.loadHead(eventId);
  }

  Decision decision(String eventId, String requestId) {
    return store.findDecision(eventId, requestId).orElse(null);
  }

  List<Decision> decisions(String eventId) {
    return store.loadLedger(eventId).decisions();
  }

  long remainingStock(String eventId) {
    return store.loadHead(eventId).remainingStock();
  }

  EventSpec spec(String eventId) {
    return store.findEvent(eventId).orElseThrow();
  }

  List<String> eventIds() {
    return List.copyOf(eventIds);
  }
}
