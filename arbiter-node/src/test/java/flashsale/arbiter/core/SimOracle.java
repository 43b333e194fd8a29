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
 * the global order), which regions it must leave out of the frontier for silence, and whether late
 * tickets are possible at all in this run.
 */
final class SimOracle {

  private final LedgerStore store;
  private final boolean lateAllowed;
  private final Map<String, Long> heardMicros = new HashMap<>();
  private final Set<String> flagged = new HashSet<>();
  /** Arbiter clock when each region last spoke to the current leader (or became known to it). */
  private final Map<String, Long> heardAtMicros = new HashMap<>();
  private final Set<String> timedOut = new HashSet<>();
  private final Set<String> everTimedOut = new HashSet<>();
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

  /** A new leader has heard nothing yet; its silence clocks start now. */
  void arbiterRestarted(long nowMicros) {
    heardMicros.clear();
    flagged.clear();
    timedOut.clear();
    heardAtMicros.replaceAll((region, at) -> nowMicros);
  }

  /** The leader learns of the region (an event it sells, or its stream): its silence clock starts. */
  void known(String region, long nowMicros) {
    heardAtMicros.putIfAbsent(region, nowMicros);
  }

  void heard(String region, long micros, long nowMicros) {
    heardMicros.merge(region, micros, Math::max);
    heardAtMicros.put(region, nowMicros);
    timedOut.remove(region);
  }

  /** The leader's timer: a region silent for longer than the timeout is left out from now on. */
  void ticked(long nowMicros, long timeoutMicros) {
    heardAtMicros.forEach((region, at) -> {
      if (nowMicros - at > timeoutMicros && timedOut.add(region)) everTimedOut.add(region);
    });
  }

  boolean excluded(String region) {
    return timedOut.contains(region);
  }

  void clockReported(String region, boolean provablyOff) {
    if (provablyOff) flagged.add(region);
    else flagged.remove(region);
  }

  boolean flagged(String region) {
    return flagged.contains(region);
  }

  /**
   * A batch leaves the arbiter: every in-order ticket in it must be at or below the frontier now.
   * Losses of a batch that leaves no stock are exempt, from this and from the order check: a ticket
   * that came once the stock was gone loses without waiting for the frontier, and soundly so, since
   * with no stock at its turn no ticket decided after it can win.
   */
  void batchBuilt(DecisionBatch batch) {
    long frontier = frontierMicros(store.spec(batch.eventId()));
    boolean stockGone = store.remainingStock(batch.eventId()) - batch.unitsWon() == 0;
    for (Decision decision : batch.decisions()) {
      // A request decided in an earlier term, resent to a leader that no longer holds it: the
      // store refuses it and the stored decision is told.
      if (store.decision(decision.eventId(), decision.requestId()) != null) continue;
      boolean retried = retriedElsewhere.contains(decision.eventId() + "/" + decision.requestId());
      boolean silenced = everTimedOut.contains(decision.ticket().region());
      if (decision.late() && !lateAllowed && !retried && !silenced) {
        throw new AssertionError("late ticket without a clock flag, a second copy or a region timeout: " + decision);
      }
      if (!decision.late() && !(stockGone && !decision.won()) && decision.ticket().stampMicros() > frontier) {
        throw new AssertionError("released " + decision + " above the frontier " + frontier + " heard " + heardMicros);
      }
    }
  }

  private long frontierMicros(EventSpec spec) {
    long frontier = Long.MAX_VALUE;
    boolean any = false;
    for (String region : spec.regions()) {
      if (flagged.contains(region) || timedOut.contains(region)) continue;
      frontier = Math.min(frontier, heardMicros.getOrDefault(region, Long.MIN_VALUE));
      any = true;
    }
    return any ? frontier : Long.MIN_VALUE;
  }

  /** The store holds the batch: its in-order decisions continue the global (stamp, tie-break) order. */
  void persisted(DecisionBatch batch) {
    long seed = store.spec(batch.eventId()).tieBreakSeed();
    boolean stockGone = store.remainingStock(batch.eventId()) == 0;
    for (Decision decision : batch.decisions()) {
      if (decision.late() || (stockGone && !decision.won())) continue;
      Ticket ticket = decision.ticket();
      Ticket previous = lastInOrder.put(batch.eventId(), ticket);
      if (previous != null && TieBreak.compare(previous, TieBreak.hash(seed, previous),
          ticket, TieBreak.hash(seed, ticket)) >= 0) {
        throw new AssertionError("decided " + ticket + " after " + previous + " in " + batch);
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
