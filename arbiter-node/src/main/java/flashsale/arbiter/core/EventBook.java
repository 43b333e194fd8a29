package flashsale.arbiter.core;

import flashsale.arbiter.core.Effect.Rejection;
import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
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
 * decides them into the persistence pipeline. Built from the event's {@link EventHead}: a new
 * leader's cost does not grow with the event's history.
 *
 * <p>Once the persisted stock is gone, every waiting ticket can only lose: the next batch decides
 * them all without waiting for the frontier, so a sold-out answer is recorded like any other.
 */
final class EventBook {

  private final EventSpec spec;
  private final RegionCursor[] regions;
  private final RegionQueue[] queues;
  private final TicketMerge merge;
  private final ArrayDeque<Ticket> lateTickets = new ArrayDeque<>();
  /** Every ticket received and not yet persisted: queued, late, or in the batch in flight. */
  private final Map<String, Ticket> pending = new HashMap<>();
  /** Request ids in the batch in flight that lost for want of stock without being released in order. */
  private final java.util.Set<String> drainedInFlight = new java.util.HashSet<>();
  private final StockBook stock;
  private final DecisionLog log;
  private final int maxBatchSize;
  /** The last ticket released in order: (stamp, keyed hash, request id); request id null for none. */
  private long lastReleasedStamp;
  private long lastReleasedHash;
  private String lastReleasedId;

  /** @param regions the cursors of {@code head.spec().regions()}, in that order */
  EventBook(EventHead head, RegionCursor[] regions, int maxBatchSize, int cachedDecisions) {
    this.spec = head.spec();
    this.regions = regions.clone();
    this.maxBatchSize = maxBatchSize;
    this.queues = new RegionQueue[regions.length];
    for (int i = 0; i < queues.length; i++) queues[i] = new RegionQueue(spec.tieBreakSeed());
    this.merge = new TicketMerge(queues);
    this.stock = new StockBook(head, cachedDecisions);
    this.log = new DecisionLog(head, cachedDecisions);
    head.lastReleased().ifPresent(r -> released(r.stampMicros(), TieBreak.hash(spec.tieBreakSeed(), r.requestId()), r.requestId()));
  }

  EventSpec spec() {
    return spec;
  }

  boolean sellsIn(String region) {
    return spec.sellsIn(region);
  }

  boolean hasPending() {
    return !pending.isEmpty();
  }

  /** Admits a ticket from a region that passed the stream order check. */
  void receive(Ticket ticket, boolean clockFlagged, List<Effect> effects) {
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

  /** A retry of a request pending, deciding or recently decided: never a second ticket. */
  private boolean answeredAsKnown(Ticket ticket, List<Effect> effects) {
    String requestId = ticket.requestId();
    Decision persisted = log.persisted(requestId);
    Ticket known = persisted != null ? persisted.ticket() : pending.get(requestId);
    if (known == null) return false;
    if (!known.samePurchaseAs(ticket)) {
      effects.add(conflict(ticket, known));
    } else if (persisted != null) {
      effects.add(new Effect.SendDecisions(ticket.region(), List.of(persisted)));
    } else if (!known.region().equals(ticket.region())) {
      log.subscribe(requestId, ticket.region());
    }
    return true;
  }

  private Effect conflict(Ticket ticket, Ticket known) {
    return conflict(ticket.region(), ticket, known);
  }

  private Effect conflict(String region, Ticket ticket, Ticket known) {
    return new Effect.RejectTicket(region, ticket, Rejection.REQUEST_ID_CONFLICT,
        "request id " + ticket.requestId() + " of event " + spec.eventId() + " was already used by user "
            + known.userId() + " for quantity " + known.quantity());
  }

  /** A new ticket: queued in order, or late when the order has already moved past it. */
  private void admit(Ticket ticket) {
    pending.put(ticket.requestId(), ticket);
    if (isBehindRelease(ticket)) {
      lateTickets.addLast(ticket);
    } else {
      queues[spec.regions().indexOf(ticket.region())].add(ticket);
    }
  }

  private boolean isBehindRelease(Ticket ticket) {
    if (lastReleasedId == null || ticket.stampMicros() > lastReleasedStamp) return false;
    long hash = TieBreak.hash(spec.tieBreakSeed(), ticket.requestId());
    // At it too: the last released ticket itself, resent to a leader that loaded only the head.
    return TieBreak.compare(ticket.stampMicros(), hash, ticket.requestId(),
        lastReleasedStamp, lastReleasedHash, lastReleasedId) <= 0;
  }

  /** Builds and emits the next batch if none is in flight and any ticket is ready. */
  void releaseIfReady(long nowMicros, List<Effect> effects) {
    if (log.hasBatchInFlight()) return;
    List<Decision> decisions = new ArrayList<>();
    while (decisions.size() < maxBatchSize && !lateTickets.isEmpty()) {
      decisions.add(stock.decide(lateTickets.pollFirst(), true, nowMicros));
    }
    if (stock.remainingStock() == 0) {
      loseAllWaiting(decisions, nowMicros);
    } else {
      releaseStable(decisions, nowMicros);
    }
    if (!decisions.isEmpty()) effects.add(new Effect.PersistBatch(log.begin(decisions, releasedThrough())));
  }

  /**
   * No stock is left and none can come back (nothing is in flight): every queued ticket loses now,
   * stable or not, in stamp order. They are not released in order: a ticket stamped below them may
   * still come, and lose the same way.
   */
  private void loseAllWaiting(List<Decision> decisions, long nowMicros) {
    merge.reset();
    while (decisions.size() < maxBatchSize) {
      Ticket ticket = merge.pollStable(Long.MAX_VALUE);
      if (ticket == null) return;
      drainedInFlight.add(ticket.requestId());
      decisions.add(stock.decide(ticket, false, nowMicros));
    }
  }

  private Optional<EventHead.Released> releasedThrough() {
    return lastReleasedId == null ? Optional.empty() : Optional.of(new EventHead.Released(lastReleasedStamp, lastReleasedId));
  }

  private void releaseStable(List<Decision> decisions, long nowMicros) {
    if (decisions.size() >= maxBatchSize || !hasFrontier()) return;
    long frontierMicros = frontierMicros();
    merge.reset();
    while (decisions.size() < maxBatchSize) {
      Ticket ticket = merge.pollStable(frontierMicros);
      if (ticket == null) return;
      if (lastReleasedId != null && TieBreak.compare(lastReleasedStamp, lastReleasedHash, lastReleasedId,
          ticket.stampMicros(), merge.polledHash(), ticket.requestId()) >= 0) {
        throw new IllegalStateException("release of " + ticket.requestId() + " out of order in " + spec.eventId());
      }
      released(ticket.stampMicros(), merge.polledHash(), ticket.requestId());
      decisions.add(stock.decide(ticket, false, nowMicros));
    }
  }

  private void released(long stampMicros, long hash, String requestId) {
    lastReleasedStamp = stampMicros;
    lastReleasedHash = hash;
    lastReleasedId = requestId;
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

  /**
   * The lowest watermark among the regions not excluded: no earlier ticket can still come, except
   * from an excluded region, whose such tickets are then late.
   */
  private long frontierMicros() {
    long frontier = Long.MAX_VALUE;
    for (RegionCursor region : regions) {
      if (!region.excluded()) frontier = Math.min(frontier, region.watermarkMicros());
    }
    return frontier;
  }

  /** The store holds batch {@code sequence}: tell it, then send the next batch if one is ready. */
  void persisted(long sequence, long nowMicros, List<Effect> effects) {
    for (Decision decision : log.complete(sequence, effects)) pending.remove(decision.requestId());
    stock.mark();
    drainedInFlight.clear();
    releaseIfReady(nowMicros, effects);
  }

  /**
   * The store refused batch {@code sequence}, writing nothing: some of its request ids were decided
   * in an earlier term ({@code decided}), or some users hold units won then ({@code unitsHeld}).
   * The duplicates get their stored decisions; the rest is decided again at the same ranks, in the
   * same order, now knowing the users' units, and sent as the next batch; except tickets that lost
   * only because the stock seemed gone, which go back to their queues.
   */
  void refused(long sequence, Map<String, Decision> decided, Map<String, Long> unitsHeld, long nowMicros,
      List<Effect> effects) {
    DecisionBatch batch = log.refused(sequence);
    stock.rollBack();
    unitsHeld.forEach(stock::unitsHeld);
    List<Decision> again = new ArrayList<>(batch.decisions().size());
    for (Decision mine : batch.decisions()) {
      Ticket ticket = mine.ticket();
      Decision stored = decided.get(ticket.requestId());
      if (stored == null && drainedInFlight.contains(ticket.requestId())) {
        admit(ticket); // never released in order: back to its queue, since stock may be back
      } else if (stored == null) {
        again.add(stock.decide(ticket, mine.late(), nowMicros));
      } else if (stored.ticket().samePurchaseAs(ticket)) {
        pending.remove(ticket.requestId());
        log.tellStored(stored, ticket.region(), effects);
      } else {
        pending.remove(ticket.requestId());
        effects.add(conflict(ticket, stored.ticket()));
        for (String region : log.unsubscribe(ticket.requestId())) effects.add(conflict(region, ticket, stored.ticket()));
      }
    }
    drainedInFlight.clear();
    if (!again.isEmpty()) {
      effects.add(new Effect.PersistBatch(log.begin(again, batch.releasedThrough())));
    } else {
      releaseIfReady(nowMicros, effects);
    }
  }

  /** True when the sale is over (past its end by {@code graceMicros}) and nothing of it is pending. */
  boolean finishedAt(long nowMicros, long graceMicros) {
    return pending.isEmpty() && !log.hasBatchInFlight() && nowMicros - graceMicros >= spec.endMicros();
  }

  Optional<Decision> persistedDecision(String requestId) {
    return Optional.ofNullable(log.persisted(requestId));
  }

  EventStatus status() {
    return log.counters().status(spec.eventId(), pending.size());
  }
}
