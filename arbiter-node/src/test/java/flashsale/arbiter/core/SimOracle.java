package flashsale.arbiter.core;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The simulation's independent view of the rules: what the current arbiter has heard from each
 * region (to recompute the frontier), which batches the store holds (to check told decisions and
 * the global order), and whether late tickets are possible at all in this run.
 */
final class SimOracle {

  private final LedgerStore store;
  private final boolean lateAllowed;
  private final Map<String, Long> heardMicros = new HashMap<>();
  private final Set<String> flagged = new HashSet<>();
  private final Map<String, Ticket> lastInOrder = new HashMap<>();
  private final Set<String> retriedElsewhere = new HashSet<>();

  SimOracle(LedgerStore store, boolean lateAllowed) {
    this.store = store;
    this.lateAllowed = lateAllowed;
  }

  /**
   * The request was also submitted through a second region, with that region's own stamp. The
   * copy a leader hears first is ranked; after a leader change another copy may come first, with
   * a stamp the ranked order has already passed, and be decided late.
   */
  void retriedElsewhere(String eventId, String requestId) {
    retriedElsewhere.add(eventId + "/" + requestId);
  }

  /** A new leader has heard nothing yet. */
  void arbiterRestarted() {
    heardMicros.clear();
    flagged.clear();
  }

  void heard(String region, long micros) {
    heardMicros.merge(region, micros, Math::max);
  }

  void clockReported(String region, boolean provablyOff) {
    if (provablyOff) flagged.add(region);
    else flagged.remove(region);
  }

  boolean flagged(String region) {
    return flagged.contains(region);
  }

  /** A batch leaves the arbiter: every in-order ticket in it must be at or below the frontier now. */
  void batchBuilt(DecisionBatch batch) {
    long frontier = frontierMicros(store.spec(batch.eventId()));
    for (Decision decision : batch.decisions()) {
      boolean retried = retriedElsewhere.contains(decision.eventId() + "/" + decision.requestId());
      if (decision.late() && !lateAllowed && !retried) {
        throw new AssertionError("late ticket without a clock flag or a second copy: " + decision);
      }
      if (!decision.late() && decision.ticket().stampMicros() > frontier) {
        throw new AssertionError("released " + decision + " above the frontier " + frontier + " heard " + heardMicros);
      }
    }
  }

  private long frontierMicros(EventSpec spec) {
    long frontier = Long.MAX_VALUE;
    boolean any = false;
    for (String region : spec.regions()) {
      if (flagged.contains(region)) continue;
      frontier = Math.min(frontier, heardMicros.getOrDefault(region, Long.MIN_VALUE));
      any = true;
    }
    return any ? frontier : Long.MIN_VALUE;
  }

  /** The store holds the batch: its in-order decisions continue the global (stamp, tie-break) order. */
  void persisted(DecisionBatch batch) {
    long seed = store.spec(batch.eventId()).tieBreakSeed();
    for (Decision decision : batch.decisions()) {
      if (decision.late()) continue;
      Ticket ticket = decision.ticket();
      Ticket previous = lastInOrder.put(batch.eventId(), ticket);
      if (previous != null && TieBreak.compare(previous, TieBreak.hash(seed, previous.requestId()),
          ticket, TieBreak.hash(seed, ticket.requestId())) >= 0) {
        throw new AssertionError("decided " + ticket + " after " + previous);
      }
    }
  }

  /** A region is told decisions: each must be exactly what the store holds. */
  void told(List<Decision> decisions) {
    for (Decision decision : decisions) {
      Decision stored = store.decision(decision.eventId(), decision.requestId());
      if (!decision.equals(stored)) throw new AssertionError("told " + decision + " but the store holds " + stored);
    }
  }

  /** The arbiter's counters never run ahead of the store, and stock never goes negative. */
  void stepDone(Sequencer sequencer) {
    for (String eventId : store.eventIds()) {
      EventStatus status = sequencer.eventStatus(eventId).orElse(null);
      if (status == null) continue;
      long stored = store.decisions(eventId).size();
      if (status.decisions() > stored || status.remainingStock() < store.remainingStock(eventId)) {
        throw new AssertionError("arbiter counts " + status + " ahead of the store's " + stored + " decisions");
      }
      if (store.remainingStock(eventId) < 0) throw new AssertionError("oversold " + eventId);
    }
  }
}
