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
 * an oracle on top: before each batch is written, every decision's outcome (and a reservation
 * winner's slot: the first on its list with room) is derived again from the stored stock, slots
 * and units, so a wrong decision rule fails here. The store's own refusals
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
    if (ledger.spec().auction().isPresent()) return null; // bids: SequencerAuctionTest's own oracle
    long remaining = ledger.remainingStock();
    Map<String, Long> units = new HashMap<>(ledger.unitsWonByUser());
    Map<String, Long> slotsLeft = new HashMap<>(EventHead.slotsLeft(ledger.spec(), ledger.decisions()));
    boolean reservation = !ledger.spec().slots().isEmpty();
    for (Decision decision : batch.decisions()) {
      long userUnits = units.getOrDefault(decision.ticket().userId(), 0L);
      String slot = reservation ? firstWithRoom(slotsLeft, decision.ticket()) : "";
      LossReason byStock = remaining == 0 ? LossReason.SOLD_OUT
          : slot == null ? LossReason.NO_SLOT_AVAILABLE
          : !reservation && remaining < decision.ticket().quantity() ? LossReason.INSUFFICIENT_STOCK : LossReason.NONE;
      LossReason expected = userUnits + decision.ticket().quantity() > ledger.spec().perUserLimit()
          ? LossReason.LIMIT_EXCEEDED : byStock;
      boolean backdated = decision.lossReason() == LossReason.STAMP_OUT_OF_BOUNDS && !decision.won();
      // A user over the limit through units of an earlier term, whose ticket also lost for lack of
      // stock: the leader does not hold those units, so the stock reason it gives is as true.
      boolean stockLossOverLimit = expected == LossReason.LIMIT_EXCEEDED && !decision.won()
          && decision.lossReason() == byStock;
      if (expected != decision.lossReason() && !stockLossOverLimit && !backdated) {
        return "expected " + expected + " for " + decision;
      }
      if (decision.won() && !decision.slot().equals(slot)) return "expected slot " + slot + " for " + decision;
      remaining -= decision.unitsWon();
      if (decision.won() && reservation) slotsLeft.merge(slot, -(long) decision.unitsWon(), Long::sum);
      units.put(decision.ticket().userId(), userUnits + decision.unitsWon());
    }
    return null;
  }

  /** Serial dictatorship: the first slot on the ticket's list with room for all of it, or null. */
  private static String firstWithRoom(Map<String, Long> slotsLeft, flashsale.sale.Ticket ticket) {
    return ticket.slots().stream().filter(s -> slotsLeft.getOrDefault(s, 0L) >= ticket.quantity()).findFirst().orElse(null);
  }

  /** Stores an auction's result as the runner would; a rejection is an AssertionError. */
  void closeAuction(flashsale.sale.AuctionClose close) {
    try {
      store.persistAuctionClose(close, flashsale.store.ArbiterStore.UNFENCED).join();
    } catch (CompletionException e) {
      throw new AssertionError("store rejected " + close + ": " + e.getCause().getMessage(), e.getCause());
    }
  }

  java.util.Optional<flashsale.sale.AuctionClose> auctionClose(String eventId) {
    return store.findAuctionClose(eventId);
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
