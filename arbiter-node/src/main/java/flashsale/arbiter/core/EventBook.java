package flashsale.arbiter.core;

import flashsale.arbiter.core.Effect.Rejection;
import flashsale.sale.Decision;
import flashsale.sale.EventLedger;
import flashsale.sale.EventSpec;
import flashsale.sale.NearTieLottery;
import flashsale.sale.Ticket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One event's sequencing: admits its tickets (answering retries from what is already known),
 * releases stable tickets in global order behind the frontier of its regions' watermarks, and
 * decides them into the persistence pipeline.
 */
final class EventBook {

  private final EventSpec spec;
  private final RegionCursor[] regions;
  private final RegionQueue[] queues;
  private final TicketMerge merge;
  private final ArrayDeque<Ticket> lateTickets = new ArrayDeque<>();
  /** Every ticket received and not yet persisted: queued, late, or in the batch in flight. */
  private final Map<String, Ticket> pending = new HashMap<>();
  private final StockBook stock;
  private final DecisionLog log;
  private final int maxBatchSize;
  private final long maxErrorBoundMicros;
  /** Scratch for each release round: per region, its watermark, or MAX_VALUE when left out. */
  private final long[] watermarks;
  private Ticket lastReleased;
  private long lastReleasedHash;

  /**
   * @param regions the cursors of {@code ledger.spec().regions()}, in that order
   * @param maxErrorBoundMicros a ticket's uncertainty is ranked as at most this
   */
  EventBook(EventLedger ledger, RegionCursor[] regions, int maxBatchSize, long maxErrorBoundMicros) {
    this.spec = ledger.spec();
    this.regions = regions.clone();
    this.maxBatchSize = maxBatchSize;
    this.maxErrorBoundMicros = maxErrorBoundMicros;
    this.queues = new RegionQueue[regions.length];
    for (int i = 0; i < queues.length; i++) queues[i] = new RegionQueue(spec.tieBreakSeed());
    this.merge = new TicketMerge(queues, maxErrorBoundMicros);
    this.watermarks = new long[regions.length];
    this.stock = new StockBook(ledger);
    this.log = new DecisionLog(spec.eventId(), spec.stock());
    log.restore(ledger.decisions());
    if (log.counters().remainingStock() != ledger.remainingStock()) {
      throw new IllegalStateException("ledger of " + spec.eventId() + " holds " + ledger.remainingStock()
          + " units but its decisions leave " + log.counters().remainingStock());
    }
    // With near-ties the last ranked is not always the latest stamped: resume behind the latest.
    ledger.decisions().stream().filter(d -> !d.late()).map(Decision::ticket)
        .max((a, b) -> TieBreak.compare(a, TieBreak.hash(spec.tieBreakSeed(), a),
            b, TieBreak.hash(spec.tieBreakSeed(), b)))
        .ifPresent(this::released);
  }

  boolean sellsIn(String region) {
    return spec.sellsIn(region);
  }

  /** Admits a ticket from a region that passed the stream order check. */
  void receive(Ticket received, boolean clockFlagged, List<Effect> effects) {
    Ticket ticket = received.withErrorBound(Math.min(received.errorBoundMicros(), maxErrorBoundMicros));
    String closed = whyClosed(ticket);
    if (closed != null) {
      effects.add(new Effect.RejectTicket(ticket.region(), ticket, Rejection.EVENT_NOT_OPEN, closed));
    } else if (!answeredAsKnown(ticket, effects)) {
      if (clockFlagged) {
        effects.add(new Effect.RejectTicket(ticket.region(), ticket, Rejection.CLOCK_SKEW,
            "clock of region " + ticket.region() + " is flagged: its tickets are not ranked"));
      } else {
        admit(ticket);
      }
    }
  }

  private String whyClosed(Ticket ticket) {
    if (!spec.sellsIn(ticket.region())) return "region " + ticket.region() + " does not sell event " + spec.eventId();
    if (spec.isOpenAt(ticket.stampMicros())) return null;
    return "stamp " + ticket.stampMicros() + " outside the sale window [" + spec.startMicros() + ", "
        + spec.endMicros() + ") of event " + spec.eventId();
  }

  /** A retry of a request already pending, deciding or decided: never a second ticket. */
  private boolean answeredAsKnown(Ticket ticket, List<Effect> effects) {
    String requestId = ticket.requestId();
    Decision persisted = log.persisted(requestId);
    Ticket known = persisted != null ? persisted.ticket() : pending.get(requestId);
    if (known == null) return false;
    if (!known.samePurchaseAs(ticket)) {
      effects.add(new Effect.RejectTicket(ticket.region(), ticket, Rejection.REQUEST_ID_CONFLICT,
          "request id " + requestId + " of event " + spec.eventId() + " was already used by user " + known.userId()
              + " for quantity " + known.quantity()));
    } else if (persisted != null) {
      effects.add(new Effect.SendDecisions(ticket.region(), List.of(persisted)));
    } else if (!known.region().equals(ticket.region())) {
      log.subscribe(requestId, ticket.region());
    }
    return true;
  }

  /** A new ticket: queued in order, or late when the order has already moved past it. */
  private void admit(Ticket ticket) {
    pending.put(ticket.requestId(), ticket);
    RegionQueue queue = queues[spec.regions().indexOf(ticket.region())];
    if (isBehindRelease(ticket, queue)) {
      lateTickets.addLast(ticket);
    } else {
      queue.add(ticket);
    }
  }

  /**
   * True when the released order has moved past the ticket for certain. Not so while its region
   * still queues an earlier ticket, nor when it is a near-tie of the latest released ticket: the
   * lottery may have placed that one ahead of the region's earlier ticket, and this one simply
   * follows its region's order.
   */
  private boolean isBehindRelease(Ticket ticket, RegionQueue queue) {
    if (ticket.stampMicros() <= queue.overtakenMicros()) return true; // passed while its region was left out
    if (lastReleased == null || ticket.stampMicros() > lastReleased.stampMicros()) return false;
    if (!queue.isEmpty() && queue.head().stampMicros() < ticket.stampMicros()) return false;
    if (NearTieLottery.nearTie(ticket, lastReleased)) return false;
    long hash = TieBreak.hash(spec.tieBreakSeed(), ticket);
    return TieBreak.compare(ticket, hash, lastReleased, lastReleasedHash) < 0;
  }

  /** Builds and emits the next batch if none is in flight and any ticket is ready. */
  void releaseIfReady(long nowMicros, List<Effect> effects) {
    if (log.hasBatchInFlight()) return;
    List<Decision> decisions = new ArrayList<>();
    while (decisions.size() < maxBatchSize && !lateTickets.isEmpty()) {
      Ticket late = lateTickets.pollFirst();
      decisions.add(stock.decide(late, true, nowMicros));
    }
    releaseStable(decisions, nowMicros);
    if (!decisions.isEmpty()) effects.add(new Effect.PersistBatch(log.begin(decisions)));
  }

  private void releaseStable(List<Decision> decisions, long nowMicros) {
    if (decisions.size() >= maxBatchSize || !hasFrontier()) return;
    for (int i = 0; i < regions.length; i++) {
      watermarks[i] = regions[i].excluded() ? Long.MAX_VALUE : regions[i].watermarkMicros();
    }
    while (decisions.size() < maxBatchSize) {
      Ticket ticket = merge.pollStable(watermarks);
      if (ticket == null) return;
      checkReleaseOrder(ticket, merge.polledHash());
      for (int i = 0; i < regions.length; i++) {
        // A region not waited for cannot later slip a ticket in below this one: it will be late.
        if (regions[i].excluded() && queues[i].isEmpty()) queues[i].overtakenThrough(ticket.stampMicros());
      }
      // Settled by the band: drawn against another region's ticket, or placed behind a released one
      // it overlaps (it follows its own region's earlier ticket, which lost a draw).
      boolean nearTie = merge.polledNearTie();
      if (lastReleased == null || TieBreak.compare(lastReleased, lastReleasedHash, ticket, merge.polledHash()) < 0) {
        lastReleased = ticket;
        lastReleasedHash = merge.polledHash();
      } else {
        nearTie |= NearTieLottery.nearTie(ticket, lastReleased);
      }
      decisions.add(stock.decide(ticket, false, nowMicros).withNearTie(nearTie));
    }
  }

  /**
   * Rule 5 with near-ties: a ticket released after another may have the earlier stamp only inside
   * the band the two could share; anything further back is a sequencing bug.
   */
  private void checkReleaseOrder(Ticket ticket, long hash) {
    if (lastReleased == null || TieBreak.compare(lastReleased, lastReleasedHash, ticket, hash) < 0) return;
    long backMicros = lastReleased.stampMicros() - ticket.stampMicros();
    if (ticket.region().equals(lastReleased.region()) || backMicros > 2 * maxErrorBoundMicros) {
      throw new IllegalStateException("release of " + ticket.requestId() + " out of order in " + spec.eventId()
          + ": " + backMicros + " us behind " + lastReleased.requestId());
    }
  }

  private void released(Ticket ticket) {
    lastReleased = ticket;
    lastReleasedHash = TieBreak.hash(spec.tieBreakSeed(), ticket);
  }

  /** True when every region not excluded has spoken, and at least one is not excluded. */
  private boolean hasFrontier() {
    boolean any = false;
    for (RegionCursor region : regions) {
      if (region.excluded()) continue;
      if (!region.spoken()) return false;
      any = true;
    }
    return any;
  }

  /** The store holds batch {@code sequence}: tell it, then send the next batch if one is ready. */
  void persisted(long sequence, long nowMicros, List<Effect> effects) {
    for (Decision decision : log.complete(sequence, effects)) pending.remove(decision.requestId());
    releaseIfReady(nowMicros, effects);
  }

  Optional<Decision> persistedDecision(String requestId) {
    return Optional.ofNullable(log.persisted(requestId));
  }

  EventStatus status() {
    return log.counters().status(spec.eventId(), pending.size());
  }
}
