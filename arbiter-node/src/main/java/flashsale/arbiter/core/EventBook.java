package flashsale.arbiter.core;

import flashsale.sale.TicketRefusal;
import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
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
 * decides them into the persistence pipeline. Built from the event's {@link EventHead}: a new
 * leader's cost does not grow with the event's history.
 *
 * <p>Once the persisted stock is gone, every waiting ticket can only lose: the next batch decides
 * them all without waiting for the frontier, so a sold-out answer is recorded like any other.
 * Not while the event's waitlist may still take losers: its joins go in rank order, so until
 * enough losses for lack of stock are stored to have filled it, losers are released in global
 * order like wins. The waitlist gives a user no more places than the per-user limit allows
 * ({@code OrderBook}), so only one loss per user counts toward filling it, none of a user who won
 * in this term, and a new leader, not knowing who won before its term, counts the units won
 * before on top of the bound: never fewer losses ranked in order than the waitlist takes.
 */
final class EventBook {

  private final EventSpec spec;
  /** Per stream source (region node) of the event's regions: its cursor and queue, at one index. */
  private RegionCursor[] regions;
  private RegionQueue[] queues;
  private final Map<String, Integer> indexBySource = new HashMap<>();
  private final TicketMerge merge;
  private final TieBreak tieBreak;
  private final ArrayDeque<Ticket> lateTickets = new ArrayDeque<>();
  /** Tickets stamped below their region's promise or past the age bound: they lose in the next batch. */
  private final ArrayDeque<Ticket> backdated = new ArrayDeque<>();
  /** Every ticket received and not yet persisted: queued, late, or in the batch in flight. */
  private final Map<String, Ticket> pending = new HashMap<>();
  /**
   * The batch in flight's decisions from this index on lost for want of stock without being
   * released in order ({@link #loseAllWaiting}); MAX_VALUE when none did.
   */
  private int drainedFrom = Integer.MAX_VALUE;
  /** The batch being built, reused: {@link DecisionBatch} keeps its own copy. */
  private final List<Decision> batchScratch = new ArrayList<>();
  private final StockBook stock;
  private final DecisionLog log;
  private final int maxBatchSize;
  private final long maxErrorBoundMicros;
  private final AgeFloor ageFloor;
  private final AuctionCloseGate closeGate;
  /** Losses for lack of stock the event's waitlist takes, in rank order; 0 without a waitlist. */
  private final long waitlistBound;
  /**
   * Losses for lack of stock stored in this term that count toward filling the waitlist: the
   * first of each user who did not win in this term. A new leader starts from 0: it ranks up to
   * another {@link #waitlistBound} plus {@link #unitsWonBeforeTerm} in order, later answers but
   * never an unfair waitlist.
   */
  private long stockLossesStored;
  /** Users already counted (or who won) in this term; let go once enough losses are counted. */
  private java.util.Set<String> usersCountedForWaitlist;
  /**
   * Units won before this term: each may be a user who gets no place for a loss this term counts
   * (the limit), so that many more losses are counted before the waitlist is taken as full.
   */
  private final long unitsWonBeforeTerm;
  /** Scratch for each release round: per source, its watermark, or MAX_VALUE when left out. */
  private long[] watermarks;
  /** The latest-ordered ticket released so far (by stamp, draw, request id); null for none. */
  private Ticket lastReleased;
  /** An auction's result is being written: nothing else of the event is persisted meanwhile. */
  private boolean closeInFlight;
  /** An auction's stored standing as last told to the regions; null before. */
  private flashsale.sale.AuctionStanding standingTold;
  /** An auction's result, once closed (written or being written); null before. */
  private flashsale.sale.AuctionClose auctionClose;

  /**
   * @param regions the cursors of every known node of {@code head.spec().regions()} (at least one
   *     per region, a placeholder for a region no node has spoken for); more join with {@link #addSource}
   * @param maxErrorBoundMicros a ticket's uncertainty is ranked as at most this
   * @param ageFloor what every node has promised by the age bound, whatever its watermark says
   * @param waitlistBound losses for lack of stock ranked in global order even once the stock is gone
   */
  EventBook(EventHead head, RegionCursor[] regions, int maxBatchSize, int cachedDecisions, long maxErrorBoundMicros,
      AgeFloor ageFloor, AuctionCloseGate closeGate, long waitlistBound) {
    if (waitlistBound < 0) throw new IllegalArgumentException("waitlistBound < 0: " + waitlistBound);
    this.spec = head.spec();
    this.waitlistBound = waitlistBound;
    this.ageFloor = ageFloor;
    this.closeGate = closeGate;
    this.maxBatchSize = maxBatchSize;
    this.maxErrorBoundMicros = maxErrorBoundMicros;
    this.regions = new RegionCursor[0];
    this.queues = new RegionQueue[0];
    this.watermarks = new long[0];
    this.tieBreak = new TieBreak(spec.tieBreakSeed(), spec.eventId());
    this.merge = new TicketMerge(queues, maxErrorBoundMicros);
    for (RegionCursor cursor : regions) addSource(cursor);
    this.stock = new StockBook(head, cachedDecisions);
    this.unitsWonBeforeTerm = stock.stock() - stock.remainingStock();
    this.usersCountedForWaitlist = waitlistBound == 0 ? null : new java.util.HashSet<>(); // no waitlist: nothing to count
    this.log = new DecisionLog(head, cachedDecisions);
    // Resumed after its result was stored: it stays closed, and later bids are refused.
    this.auctionClose = stock.auction().filter(AuctionBook::closed).map(a -> a.standingNow().asClose(spec.eventId()))
        .orElse(null);
    this.lastReleased = head.lastReleased().map(r -> r.asTicket(spec.eventId())).orElse(null);
  }

  EventSpec spec() {
    return spec;
  }

  boolean sellsIn(String region) {
    return spec.sellsIn(region);
  }

  /** The stamp of the latest ticket released in order; {@link Long#MIN_VALUE} before any. A ticket at or below it is late. */
  long releasedMicros() {
    return lastReleased == null ? Long.MIN_VALUE : lastReleased.stampMicros();
  }

  /**
   * A node of one of the event's regions is known from now on: it gets its own queue, and the
   * frontier waits for it too (until it times out like a silent region). Rare (a node's first
   * connection), so the arrays are simply grown.
   */
  void addSource(RegionCursor cursor) {
    if (!spec.sellsIn(cursor.region())) return;
    Integer known = indexBySource.get(cursor.source());
    if (known != null) {
      // A node the sequencer forgot came back under a new cursor: it takes the old one's queue.
      regions[known] = cursor;
      return;
    }
    int n = regions.length;
    regions = java.util.Arrays.copyOf(regions, n + 1);
    queues = java.util.Arrays.copyOf(queues, n + 1);
    watermarks = java.util.Arrays.copyOf(watermarks, n + 1);
    regions[n] = cursor;
    queues[n] = new RegionQueue(tieBreak);
    indexBySource.put(cursor.source(), n);
    merge.sources(queues);
  }

  boolean hasPending() {
    return !pending.isEmpty();
  }

  /**
   * Admits a ticket from a region that passed the stream order check.
   *
   * @param outOfBounds why its stamp may not be ranked (back-dated), or null
   */
  void receive(Ticket received, boolean clockFlagged, String outOfBounds, List<Effect> effects) {
    Ticket ticket = received.withErrorBound(Math.min(received.errorBoundMicros(), maxErrorBoundMicros));
    // A retry of a known request gets its one decision whatever its own stamp says (it may come
    // through another node after the close); only a new request is judged by the window.
    if (answeredAsKnown(ticket, effects)) return;
    String closed = whyClosed(ticket);
    if (closed != null) {
      effects.add(new Effect.RejectTicket(ticket.source(), ticket, TicketRefusal.EVENT_NOT_OPEN, closed));
    } else {
      if (clockFlagged) {
        effects.add(new Effect.RejectTicket(ticket.source(), ticket, TicketRefusal.CLOCK_SKEW,
            "clock of region " + ticket.source() + " is flagged: its tickets are not ranked"));
      } else if (outOfBounds != null) {
        // Lost in the next batch, not refused outright: a resend of a ticket decided in an earlier
        // term looks the same here, and the store answers that one with its stored decision.
        pending.put(ticket.requestId(), ticket);
        backdated.addLast(ticket);
      } else {
        admit(ticket);
      }
    }
  }

  private String whyClosed(Ticket ticket) {
    if (!spec.sellsIn(ticket.region())) return "region " + ticket.region() + " does not sell event " + spec.eventId();
    String slots = spec.slotsProblem(ticket.slots()); // a region checks first; this keeps a bad one out
    if (slots != null) return "slots " + slots;
    String bid = spec.bidProblem(ticket);
    if (bid != null) return "bid " + bid;
    if (spec.isOpenAt(ticket.stampMicros())) return null;
    return "stamp " + ticket.stampMicros() + " outside the sale window [" + spec.startMicros() + ", "
        + spec.endMicros() + ") of event " + spec.eventId();
  }

  /**
   * A retry of a request pending, deciding or recently decided: never a second ticket, whichever
   * node of whichever region it comes through; that node is told the one decision too.
   */
  private boolean answeredAsKnown(Ticket ticket, List<Effect> effects) {
    String requestId = ticket.requestId();
    Decision persisted = log.persisted(requestId);
    Ticket known = persisted != null ? persisted.ticket() : pending.get(requestId);
    if (known == null) return false;
    if (!known.samePurchaseAs(ticket)) {
      effects.add(conflict(ticket, known));
    } else if (persisted != null) {
      effects.add(new Effect.SendDecisions(ticket.source(), List.of(persisted)));
    } else if (!known.source().equals(ticket.source())) {
      log.subscribe(requestId, ticket.source());
    }
    return true;
  }

  private Effect conflict(Ticket ticket, Ticket known) {
    return conflict(ticket.source(), ticket, known);
  }

  private Effect conflict(String region, Ticket ticket, Ticket known) {
    return new Effect.RejectTicket(region, ticket, TicketRefusal.REQUEST_ID_CONFLICT,
        "request id " + ticket.requestId() + " of event " + spec.eventId() + " was already used by user "
            + known.userId() + " for quantity " + known.quantity());
  }

  /** A new ticket: queued in order, or late when the order has already moved past it. */
  private void admit(Ticket ticket) {
    pending.put(ticket.requestId(), ticket);
    Integer index = indexBySource.get(ticket.source());
    if (index == null) throw new IllegalStateException("no queue for " + ticket.source() + " in " + spec.eventId());
    RegionQueue queue = queues[index];
    if (isBehindRelease(ticket, queue)) {
      lateTickets.addLast(ticket);
    } else {
      queue.add(ticket);
    }
  }

  /**
   * True when the released order has moved past the ticket for certain (or it is the last released
   * ticket itself, resent to a leader that loaded only the head). Not so while its region still
   * queues an earlier ticket, nor when it is a near-tie of the latest released ticket: the lottery
   * may have placed that one ahead of the region's earlier ticket, and this one simply follows its
   * region's order.
   */
  private boolean isBehindRelease(Ticket ticket, RegionQueue queue) {
    if (ticket.stampMicros() <= queue.overtakenMicros()) return true; // passed while its region was left out
    if (lastReleased == null || ticket.stampMicros() > lastReleased.stampMicros()) return false;
    if (ticket.requestId().equals(lastReleased.requestId())) return true;
    if (!queue.isEmpty() && queue.head().stampMicros() < ticket.stampMicros()) return false;
    if (NearTieLottery.nearTie(ticket, lastReleased)) return false;
    return tieBreak.compare(ticket, lastReleased) < 0;
  }

  /** True once enough losses for lack of stock are stored to have filled the waitlist (see the class comment). */
  private boolean waitlistTakenAsFull() {
    return waitlistBound == 0 || stockLossesStored >= waitlistBound + unitsWonBeforeTerm;
  }

  /** A stored decision, in rank order: a user's first loss for lack of stock counts, unless the user won in this term. */
  private void countTowardWaitlist(Decision decision) {
    if (usersCountedForWaitlist == null) return;
    if (decision.won()) {
      usersCountedForWaitlist.add(decision.ticket().userId());
    } else if (decision.lossReason().forLackOfStock() && usersCountedForWaitlist.add(decision.ticket().userId())) {
      stockLossesStored++;
      if (waitlistTakenAsFull()) usersCountedForWaitlist = null; // the count is done: let the users go
    }
  }

  /** Builds and emits the next batch if none is in flight and any ticket is ready. */
  void releaseIfReady(long nowMicros, List<Effect> effects) {
    if (log.hasBatchInFlight() || closeInFlight) return;
    if (backdated.isEmpty() && lateTickets.isEmpty()) {
      // A due close goes before the bids stamped past it, which lose either way: a steady stream
      // of them (a soft close's regions take bids until the cap) would otherwise hold the result back.
      closeIfDue(nowMicros, effects);
      if (closeInFlight) return;
    }
    List<Decision> decisions = batchScratch;
    decisions.clear();
    while (decisions.size() < maxBatchSize && !backdated.isEmpty()) {
      decisions.add(stock.refuseBackdated(backdated.pollFirst(), nowMicros));
    }
    while (decisions.size() < maxBatchSize && !lateTickets.isEmpty()) {
      decisions.add(stock.decide(lateTickets.pollFirst(), true, nowMicros));
    }
    if (stock.remainingStock() == 0 && waitlistTakenAsFull()) {
      drainedFrom = decisions.size();
      loseAllWaiting(decisions, nowMicros);
    } else {
      drainedFrom = Integer.MAX_VALUE;
      releaseStable(decisions, nowMicros);
    }
    if (!decisions.isEmpty()) {
      effects.add(new Effect.PersistBatch(log.begin(decisions, releasedThrough(), standingAfterBatch())));
    }
  }

  /**
   * An auction closes once every bid released below its close is durable (nothing is in flight, no
   * late or back-dated bid waits, and no queued bid is stamped before the close) and its {@link
   * AuctionCloseGate} says no bid stamped before the close can still come and count.
   */
  private void closeIfDue(long nowMicros, List<Effect> effects) {
    AuctionBook auction = stock.auction().orElse(null);
    if (auction == null || auction.closed() || !closeGate.mayClose(auction.closeMicros(), regions, queues, nowMicros)) return;
    closeInFlight = true;
    auctionClose = auction.close();
    effects.add(new Effect.PersistAuctionClose(auctionClose));
  }

  /** The store holds the auction's result: announce it, then go on (later bids are refused). */
  void closePersisted(long nowMicros, List<Effect> effects) {
    if (!closeInFlight) throw new IllegalStateException("no close of " + spec.eventId() + " in flight");
    closeInFlight = false;
    effects.add(new Effect.AnnounceAuctionClose(auctionClose));
    releaseIfReady(nowMicros, effects);
  }

  /**
   * An auction's standing bids and close as the store holds them (never a bid not yet durable);
   * closed, with the winners, once its result is stored. Empty for the other kinds.
   */
  Optional<flashsale.sale.AuctionStanding> auctionStanding() {
    if (auctionClose != null && !closeInFlight) {
      return Optional.of(new flashsale.sale.AuctionStanding(auctionClose.closeMicros(), auctionClose.winners(), true));
    }
    return stock.auction().map(AuctionBook::durableStanding);
  }

  /** An auction not yet closed nor being closed whose close time has passed: time alone may close it. */
  boolean closePassed(long nowMicros) {
    return !closeInFlight && stock.auction().map(a -> !a.closed() && a.closeMicros() <= nowMicros).orElse(false);
  }

  /** An auction not yet closed, or whose close is being written: watermarks may close it. */
  boolean awaitsClose() {
    return closeInFlight || stock.auction().map(a -> !a.closed()).orElse(false);
  }

  /**
   * No stock is left and none can come back (nothing is in flight): every queued ticket loses now,
   * stable or not, in stamp order. They are not released in order: a ticket stamped below them may
   * still come, and lose the same way.
   */
  private void loseAllWaiting(List<Decision> decisions, long nowMicros) {
    java.util.Arrays.fill(watermarks, Long.MAX_VALUE); // nothing to wait for
    while (decisions.size() < maxBatchSize) {
      Ticket ticket = merge.pollStable(watermarks);
      if (ticket == null) return;
      // Its loss was settled by the band if it lost a draw (now, or as a head before the sell-out)
      // or overlaps a winner ranked ahead of it though stamped after it: the audit log says so.
      boolean nearTie = merge.polledNearTie() || (lastReleased != null && tieBreak.compare(lastReleased, ticket) > 0
          && NearTieLottery.nearTie(ticket, lastReleased));
      decisions.add(stock.decide(ticket, false, nowMicros).withNearTie(nearTie));
    }
  }

  /** An auction's standing once the batch being built is decided; empty for the other kinds. */
  private Optional<flashsale.sale.AuctionStanding> standingAfterBatch() {
    return stock.auction().map(AuctionBook::standingNow);
  }

  private Optional<EventHead.Released> releasedThrough() {
    return Optional.ofNullable(lastReleased).map(EventHead.Released::of);
  }

  private void releaseStable(List<Decision> decisions, long nowMicros) {
    long floorMicros = ageFloor.floorMicros(nowMicros); // once per release: what every node has promised by now
    if (decisions.size() >= maxBatchSize || !hasFrontier(floorMicros)) return;
    for (int i = 0; i < regions.length; i++) {
      RegionCursor region = regions[i];
      watermarks[i] = region.excluded() ? Long.MAX_VALUE
          : region.spoken() ? Math.max(region.watermarkMicros(), floorMicros) : floorMicros;
    }
    while (decisions.size() < maxBatchSize) {
      Ticket ticket = merge.pollStable(watermarks);
      if (ticket == null) return;
      boolean inOrder = lastReleased == null || tieBreak.compare(lastReleased, ticket) < 0;
      if (!inOrder) checkReleaseBand(ticket);
      for (int i = 0; i < regions.length; i++) {
        // A region not waited for cannot later slip a ticket in below this one: it will be late.
        if (regions[i].excluded() && queues[i].isEmpty()) queues[i].overtakenThrough(ticket.stampMicros());
      }
      // Settled by the band: drawn against another region's ticket, or placed behind a released one
      // it overlaps (it follows its own region's earlier ticket, which lost a draw).
      boolean nearTie = merge.polledNearTie();
      if (inOrder) {
        lastReleased = ticket;
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
  private void checkReleaseBand(Ticket ticket) {
    long backMicros = lastReleased.stampMicros() - ticket.stampMicros();
    if (ticket.source().equals(lastReleased.source()) || backMicros > 2 * maxErrorBoundMicros) {
      throw new IllegalStateException("release of " + ticket.requestId() + " out of order in " + spec.eventId()
          + ": " + backMicros + " us behind " + lastReleased.requestId());
    }
  }

  /**
   * True when every source (region node) not excluded has spoken, or the age bound's {@code
   * floorMicros} promises for those that have not, and at least one is not excluded.
   */
  private boolean hasFrontier(long floorMicros) {
    boolean any = false;
    for (RegionCursor region : regions) {
      if (region.excluded()) continue;
      if (!region.spoken() && floorMicros == Long.MIN_VALUE) return false;
      any = true;
    }
    return any;
  }

  /** The store holds batch {@code sequence}: tell it, then send the next batch if one is ready. */
  void persisted(long sequence, long nowMicros, List<Effect> effects) {
    for (Decision decision : log.complete(sequence, effects)) {
      pending.remove(decision.requestId());
      countTowardWaitlist(decision);
    }
    stock.mark();
    // An open auction's watchers hear of each stored change; a closed one's hear the result instead.
    stock.auction().filter(a -> !a.closed()).map(AuctionBook::durableStanding).filter(s -> !s.equals(standingTold))
        .ifPresent(s -> {
          standingTold = s;
          effects.add(new Effect.AuctionStandingChanged(spec.eventId(), s));
        });
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
    for (int i = 0; i < batch.decisions().size(); i++) {
      Decision mine = batch.decisions().get(i);
      Ticket ticket = mine.ticket();
      Decision stored = decided.get(ticket.requestId());
      if (stored == null && i >= drainedFrom) {
        admit(ticket); // never released in order: back to its queue, since stock may be back
      } else if (stored == null && mine.lossReason() == flashsale.sale.LossReason.STAMP_OUT_OF_BOUNDS) {
        again.add(stock.refuseBackdated(ticket, nowMicros));
      } else if (stored == null) {
        again.add(stock.decide(ticket, mine.late(), nowMicros).withNearTie(mine.nearTie()));
      } else if (stored.ticket().samePurchaseAs(ticket)) {
        pending.remove(ticket.requestId());
        log.tellStored(stored, ticket.source(), effects);
      } else {
        pending.remove(ticket.requestId());
        effects.add(conflict(ticket, stored.ticket()));
        for (String region : log.unsubscribe(ticket.requestId())) effects.add(conflict(region, ticket, stored.ticket()));
      }
    }
    drainedFrom = Integer.MAX_VALUE; // the drained went back to their queues
    if (!again.isEmpty()) {
      effects.add(new Effect.PersistBatch(log.begin(again, batch.releasedThrough(), standingAfterBatch())));
    } else {
      releaseIfReady(nowMicros, effects);
    }
  }

  /** True when the sale is over (past its end by {@code graceMicros}) and nothing of it is pending. */
  boolean finishedAt(long nowMicros, long graceMicros) {
    return pending.isEmpty() && !log.hasBatchInFlight() && !awaitsClose()
        && nowMicros - graceMicros >= spec.latestCloseMicros();
  }

  Optional<Decision> persistedDecision(String requestId) {
    return Optional.ofNullable(log.persisted(requestId));
  }

  /**
   * A node this long silent, its promise short of the close, may be cut off holding a ticket
   * stamped in time; a node that speaks (every 2 ms by default) will pass the close within its
   * link's delay, far sooner than a buyer's retry comes.
   */
  static final long SILENT_BEHIND_MICROS = 500_000;

  /**
   * Who may still send a ticket stamped inside the sale, though it is past: each region of the
   * event with no node known here (its nodes may hold tickets from before a failover), and each
   * node short of the close that is not connected or has been silent {@link #SILENT_BEHIND_MICROS}.
   * A node whose clock is flagged is left out (its tickets are not ranked), and so is a region's
   * unnamed placeholder once named nodes speak for it.
   */
  List<String> sourcesNotPastClose(long nowMicros) {
    long lastInWindowMicros = spec.latestCloseMicros() - 1;
    java.util.Set<String> regionsKnown = new java.util.HashSet<>();
    java.util.SortedSet<String> behind = new java.util.TreeSet<>();
    for (RegionCursor region : regions) {
      if (region.placeholderOnly()) continue;
      regionsKnown.add(region.region());
      boolean promisedPast = region.spoken() && region.watermarkMicros() >= lastInWindowMicros;
      boolean away = !region.connected() || region.silentMicros(nowMicros) >= SILENT_BEHIND_MICROS;
      if (!region.clockFlagged() && !promisedPast && (away || !region.spoken())) behind.add(region.source());
    }
    for (String region : spec.regions()) {
      if (!regionsKnown.contains(region)) behind.add(region);
    }
    return List.copyOf(behind);
  }

  /** The ticket of a request held here undecided (queued, or decided but not yet stored). */
  Optional<Ticket> pendingTicket(String requestId) {
    return Optional.ofNullable(pending.get(requestId));
  }

  EventStatus status() {
    return log.counters().status(spec.eventId(), pending.size()).withAuction(auctionStanding());
  }
}
