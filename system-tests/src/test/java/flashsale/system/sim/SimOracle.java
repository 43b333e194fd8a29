package flashsale.system.sim;

import flashsale.sale.Partition;
import flashsale.sale.TicketRefusal;
import flashsale.arbiter.core.Effect;
import flashsale.arbiter.core.EventStatus;
import flashsale.region.core.Answer;
import flashsale.region.core.Admission;
import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.store.ArbiterStore;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The simulation's independent view of DESIGN.md's rules, fed as the store accepts writes,
 * arbiters emit effects and buyers get answers, and checked after every step:
 * <ul>
 *   <li>no oversell, and the per-user limit, on every accepted write;
 *   <li>a reservation: no slot over capacity, and every winner holds the first slot on its list
 *       with room at its turn in the decided order (serial dictatorship recomputed here), every
 *       loss for lack of room had none;
 *   <li>one decision per request id, and every answer a buyer gets for it is that decision;
 *   <li>a decision is durable before any region or buyer is told it;
 *   <li>in-order decisions follow the global order: none is decided after a ticket whose whole
 *       uncertainty interval lies after its own (a near-tie may go either way), except a loss to
 *       an empty stock;
 *   <li>a ticket is decided late (behind what was already ranked) only if its region node was left
 *       out for silence, its clock was bad, or it is a second copy of its request (a node's join or
 *       a leader change is no excuse);
 *   <li>a named region node is welcomed only once the store holds it, so every later leader waits for it;
 *   <li>a well-behaved region is never cut off, and only a region with a bad clock is refused;
 *   <li>no arbiter's counters run ahead of the store;
 *   <li>an auction: every stored answer is the one its own replay of the rule gives (so no accepted
 *       bid is lost across leader changes), none accepted at or after the close, and the winners are
 *       the best accepted bids by amount, then stamp ({@link SimAuctionOracle}).
 * </ul>
 */
final class SimOracle {
  private final long maxErrorBoundMicros;
  /** How long past its end the arbiter still decides an event's tickets stamped inside its window. */
  private final long finishGraceMicros;
  private ArbiterStore store;
  private final Map<String, EventSpec> specs = new HashMap<>();
  private final Map<String, Long> stockLeft = new HashMap<>();
  /** Per reservation, units left per slot as the accepted writes leave them. */
  private final Map<String, Map<String, Long>> slotsLeft = new HashMap<>();
  private final Map<String, Long> unitsByUser = new HashMap<>();
  private final Map<String, Decision> decided = new HashMap<>();
  private final Map<String, Long> lastRank = new HashMap<>();
  /** Per event: the latest lower edge (stamp minus bound) of an in-order decision so far. */
  private final Map<String, Long> orderEdgeMicros = new HashMap<>();
  private final Map<String, Decision> orderEdgeDecision = new HashMap<>();
  private final Map<String, Decision> answered = new HashMap<>();
  final Set<String> badClockRegions = new HashSet<>();
  /** Events sold to a crowd alone (no one-unit buyer per unit of stock): they may end with units no buyer fits. */
  final Set<String> crowdOnlyEvents = new HashSet<>();
  /** Regions some arbiter left out of its frontiers for silence: their tickets may come back late. */
  private final Set<String> leftOut = new HashSet<>();
  /** Requests a buyer sent more than once (each region stamps its own ticket): a later copy may be late. */
  private final Set<String> sentAgain = new HashSet<>();
  private final Map<String, SimAuctionOracle> auctions = new HashMap<>();
  /**
   * Per event with a waitlist, its bound; and per event and leadership term (its fencing epoch),
   * the losses for lack of stock stored that may have filled a place: each user's first in the
   * term, none of a user who won in it (the waitlist gives a user no more places than its limit).
   * Each term's arbiter counts its own from 0 and, not knowing who won before, needs the units won
   * before its term on top of the bound before it may answer sold-out losers as they come.
   */
  private final Map<String, Long> waitlistBounds = new HashMap<>();
  private final Map<String, Long> stockLossesStored = new HashMap<>();
  private final Map<String, Set<String>> usersCountedForWaitlist = new HashMap<>();
  private final Map<String, Long> unitsWonBeforeTerm = new HashMap<>();
  /**
   * Per leadership term (fencing epoch): the named region nodes whose record it wrote and did not
   * forget since, as its writes landed. The store must hold each while that term's leader holds the
   * lease.
   */
  private final Map<Long, Set<String>> recordedByTerm = new HashMap<>();
  /** What this run exercised, so the test can show the faults actually happened. */
  final Map<String, Long> exercised = new TreeMap<>();
  /** Told of each decision the store holds, once. */
  java.util.function.Consumer<Decision> onStored = d -> {};

  SimOracle(long maxErrorBoundMicros, long finishGraceMicros) {
    this.maxErrorBoundMicros = maxErrorBoundMicros;
    this.finishGraceMicros = finishGraceMicros;
  }

  void store(ArbiterStore store) {
    this.store = store;
  }

  void count(String what) {
    exercised.merge(what, 1L, Long::sum);
  }

  void created(EventSpec spec) {
    specs.put(spec.eventId(), spec);
    stockLeft.put(spec.eventId(), spec.stock());
    slotsLeft.put(spec.eventId(), new HashMap<>(spec.slots()));
    if (!spec.slots().isEmpty()) count("reservations");
    if (spec.auction().isPresent()) {
      count("auctions");
      auctions.put(spec.eventId(), new SimAuctionOracle(spec));
    }
    lastRank.put(spec.eventId(), 0L);
  }

  private static String key(String eventId, String requestId) {
    return eventId + "/" + requestId;
  }

  /** The store accepted this batch (a repeat of a stored one changes nothing). */
  void persisted(DecisionBatch batch, long fencingEpoch) {
    String eventId = batch.eventId();
    if (batch.firstRank() <= lastRank.get(eventId)) {
      count("batches written twice");
      return;
    }
    EventSpec spec = specs.get(eventId);
    for (Decision d : batch.decisions()) {
      if (d.rank() != lastRank.get(eventId) + 1) throw new AssertionError("rank gap before " + d);
      lastRank.put(eventId, d.rank());
      Decision earlier = decided.putIfAbsent(key(eventId, d.requestId()), d);
      if (earlier != null) throw new AssertionError("request decided twice: " + earlier + " and " + d);
      onStored.accept(d);
      long left = stockLeft.get(eventId);
      checkOrder(spec, d, left, fencingEpoch);
      if (!spec.slots().isEmpty()) checkSlot(d, left, slotsLeft.get(eventId));
      else if (d.lossReason().forLackOfStock() && d.ticket().quantity() <= left) {
        throw new AssertionError("lost for lack of stock with " + left + " units left: " + d); // an undersell
      }
      if (auctions.containsKey(eventId)) {
        auctions.get(eventId).stored(d);
        d.bid().ifPresent(b -> count("bids answered " + b.answer()));
      }
      if (d.late()) {
        requireLateExplained(d);
        count("late decisions");
      }
      if (!d.won()) continue;
      left -= d.unitsWon();
      if (left < 0) throw new AssertionError("oversold " + eventId + " by " + -left + " with " + d);
      stockLeft.put(eventId, left);
      long units = unitsByUser.merge(key(eventId, d.ticket().userId()), (long) d.unitsWon(), Long::sum);
      if (units > spec.perUserLimit()) {
        throw new AssertionError("user " + d.ticket().userId() + " holds " + units + " > limit " + spec.perUserLimit());
      }
    }
  }

  /**
   * Serial dictatorship over the decided order: a winner takes the first slot on its list with room
   * for all of it; a loss for lack of room or stock had no such slot. Takes the winner's units.
   */
  private void checkSlot(Decision d, long stockBefore, Map<String, Long> left) {
    Ticket t = d.ticket();
    String first = t.slots().stream().filter(s -> left.get(s) >= t.quantity()).findFirst().orElse(null);
    boolean lostForRoom = d.lossReason() == flashsale.sale.LossReason.NO_SLOT_AVAILABLE
        || d.lossReason() == flashsale.sale.LossReason.SOLD_OUT;
    if (d.won() ? !d.slot().equals(first) : lostForRoom && first != null) {
      throw new AssertionError("serial dictatorship gives slot " + first + " (left " + left + ") but decided " + d);
    }
    if (d.lossReason() == flashsale.sale.LossReason.SOLD_OUT && stockBefore != 0) {
      throw new AssertionError("sold out with " + stockBefore + " left: " + d);
    }
    if (!d.won()) return;
    long after = left.merge(d.slot(), -(long) t.quantity(), Long::sum);
    if (after < 0) throw new AssertionError("slot " + d.slot() + " over capacity by " + -after + " with " + d);
    count(d.slot().equals(t.slots().get(0)) ? "reservations won in a first choice" : "reservations won in a later choice");
  }

  /** The store holds an auction's result. */
  void auctionClosed(flashsale.sale.AuctionClose close) {
    auctions.get(close.eventId()).closed(close);
    count("auctions closed");
  }

  /** An auction's stored result, or null while it is open. */
  flashsale.sale.AuctionClose auctionResult(String eventId) {
    SimAuctionOracle auction = auctions.get(eventId);
    return auction == null ? null : auction.result();
  }

  /** True while some auction created has no stored result. */
  boolean auctionOpen() {
    return auctions.values().stream().anyMatch(a -> !a.isClosed());
  }

  /** A request sent again, through the same or another region. */
  void sentAgain(String eventId, String requestId) {
    sentAgain.add(key(eventId, requestId));
  }

  /**
   * A ticket arrives behind what was already ranked only if its region was left out for silence,
   * its clock was bad, or it is a second copy of its request; otherwise a frontier moved too soon.
   */
  private void requireLateExplained(Decision d) {
    String region = d.ticket().source(); // silence and clocks are per node
    if (leftOut.contains(region) || badClockRegions.contains(region) || sentAgain.contains(key(d.eventId(), d.requestId()))) {
      return;
    }
    throw new AssertionError("late decision without a silent region, a bad clock or a second copy: " + d);
  }

  /** The event's waitlist takes its first {@code bound} losers for lack of stock, in rank order. */
  void waitlist(String eventId, long bound) {
    waitlistBounds.put(eventId, bound);
  }

  private void checkOrder(EventSpec spec, Decision d, long stockBefore, long fencingEpoch) {
    String eventId = spec.eventId();
    String inTerm = eventId + "@" + fencingEpoch;
    long waitlistBound = waitlistBounds.getOrDefault(eventId, 0L);
    long wonBefore = unitsWonBeforeTerm.computeIfAbsent(inTerm, k -> spec.stock() - stockBefore);
    boolean waitlistFull = waitlistBound == 0 || stockLossesStored.getOrDefault(inTerm, 0L) >= waitlistBound + wonBefore;
    Set<String> counted = usersCountedForWaitlist.computeIfAbsent(inTerm, k -> new HashSet<>());
    if (d.won()) {
      counted.add(d.ticket().userId());
    } else if (d.lossReason().forLackOfStock() && counted.add(d.ticket().userId())) {
      stockLossesStored.merge(inTerm, 1L, Long::sum);
    }
    // A late ticket, or a loss to an empty stock once no waitlist can take it: answered as it came.
    if (d.late() || (!d.won() && stockBefore == 0 && waitlistFull)) return;
    if (!d.won() && stockBefore == 0) count("sold-out losses ranked in order for a waitlist");
    Ticket t = d.ticket();
    long bound = Math.min(t.errorBoundMicros(), maxErrorBoundMicros);
    Decision edge = orderEdgeDecision.get(spec.eventId());
    if (edge != null && orderEdgeMicros.get(spec.eventId()) > t.stampMicros() + bound) {
      throw new AssertionError("decided " + d + " after " + edge + ", which is provably later");
    }
    long lower = t.stampMicros() - bound;
    if (edge == null || lower > orderEdgeMicros.get(spec.eventId())) {
      orderEdgeMicros.put(spec.eventId(), lower);
      orderEdgeDecision.put(spec.eventId(), d);
    }
  }

  /** Every effect an arbiter carries out. */
  void effect(SimArbiter arbiter, Effect effect) {
    switch (effect) {
      case Effect.SendDecisions s -> {
        for (Decision d : s.decisions()) requireStored(d, "told " + s.region());
        if (s.decisions().stream().anyMatch(d -> !d.ticket().source().equals(s.region()))) count("decisions told to another region");
      }
      case Effect.BroadcastSoldOut b -> {
        if (stockLeft.get(b.eventId()) != 0) throw new AssertionError(b + " with " + stockLeft.get(b.eventId()) + " left");
        count("sold-out broadcasts");
      }
      case Effect.RejectTicket r -> {
        if (r.reason() != TicketRefusal.CLOCK_SKEW || !badClockRegions.contains(r.region())) {
          throw new AssertionError(arbiter.name + " refused a ticket of a well-behaved region: " + r);
        }
        count("tickets refused for a bad clock");
      }
      case Effect.CutOffRegion c -> throw new AssertionError(arbiter.name + " cut off a well-behaved region: " + c);
      case Effect.AnnounceAuctionClose a -> {
        if (!a.close().equals(auctionResult(a.close().eventId()))) {
          throw new AssertionError(arbiter.name + " announced " + a.close() + " but the store holds "
              + auctionResult(a.close().eventId()));
        }
      }
      case Effect.RegionExclusion x -> {
        if (x.excluded()) {
          leftOut.add(x.region());
          count("regions left out for silence");
        }
      }
      case Effect.SendClockVerdict v -> {
        if (v.flagged()) count("clocks flagged");
      }
      case Effect.WelcomeRegionNode w -> {
        // A named node is welcomed only once the store holds it, so every later leader waits for it.
        boolean named = !flashsale.sale.StreamSource.nodeOf(w.source()).isEmpty();
        if (named && !store.regionNodes(Partition.ONLY).contains(w.source())) {
          throw new AssertionError(arbiter.name + " welcomed " + w.source() + " before the store held it");
        }
        count(named ? "named nodes welcomed" : "unnamed nodes welcomed");
      }
      default -> {}
    }
  }

  private void requireStored(Decision d, String what) {
    Decision stored = decided.get(key(d.eventId(), d.requestId()));
    if (!d.equals(stored)) throw new AssertionError(what + " " + d + " but the store holds " + stored);
  }

  /**
   * A buyer's call, made at true time {@code sentMicros}, ended at {@code answeredMicros}; true if it
   * got a decision (other answers are errors it may retry).
   */
  boolean answered(String region, String eventId, String requestId, Admission.Settled result, long sentMicros,
      long answeredMicros) {
    switch (result) {
      case Admission.Decided(Answer.Ranked(Decision d)) -> {
        if (!d.eventId().equals(eventId) || !d.requestId().equals(requestId)) throw new AssertionError("wrong answer " + d);
        requireStored(d, "buyer at " + region + " told");
        Decision first = answered.putIfAbsent(key(eventId, requestId), d);
        if (first != null && !first.equals(d)) throw new AssertionError("two answers: " + first + " then " + d);
        return true;
      }
      case Admission.Failed f -> {
        switch (f.failure().reason()) {
          case SHUTTING_DOWN, ARBITER_UNAVAILABLE, EVENT_NOT_FOUND -> count("purchases failed on a down region");
          case EVENT_ENDED -> {
            // A bid stamped past the latest close, or a purchase past the end of a sale that ends in
            // the run (delayed by a crash or a partition): refused by its region, final.
            if (crowdOnlyEvents.contains(eventId)) {
              requireEndedForTheCall(region, eventId, requestId, sentMicros, answeredMicros);
              count("purchases refused after the sale ended");
              return true;
            }
            if (!auctions.containsKey(eventId)) throw new AssertionError("buyer at " + region + " got " + f.failure());
            count("bids refused after the close");
            return true;
          }
          case CLOCK_SKEW -> {
            if (!badClockRegions.contains(region)) throw new AssertionError(region + " refused for its clock: " + f);
            count("purchases refused for a bad clock");
          }
          default -> throw new AssertionError("buyer at " + region + " got " + f.failure());
        }
        return false;
      }
    }
  }

  /** How far a well-behaved node's clock (a region's or an arbiter's) is from true time at most: offsets of 1.5 ms, drift of 50 ppm (SimWorkload). */
  private static final long CLOCK_SLACK_MICROS = 5_000;

  /**
   * EVENT_ENDED is the truth for a call made at true time {@code sentMicros}: a well-behaved
   * region's clock, near true time, read a stamp past the end; or the call, made in time, was
   * answered only after the arbiter let the finished event go (its grace past the end).
   */
  private void requireEndedForTheCall(String region, String eventId, String requestId, long sentMicros,
      long answeredMicros) {
    if (badClockRegions.contains(region)) return;
    long endMicros = specs.get(eventId).endMicros() - SimClock.EPOCH_MICROS; // in true time, as the scheduler's
    // An arbiter's clock is as far from true time as a region's: it may let the event go that much early.
    if (sentMicros >= endMicros - CLOCK_SLACK_MICROS || answeredMicros >= endMicros + finishGraceMicros - CLOCK_SLACK_MICROS) {
      return;
    }
    throw new AssertionError(String.format("buyer at %s told %s/%s ended: sent at end%+d µs, answered at end%+d µs"
        + " (clock slack %d µs, the arbiter's grace %d µs)", region, eventId, requestId, sentMicros - endMicros,
        answeredMicros - endMicros, CLOCK_SLACK_MICROS, finishGraceMicros));
  }

  /** A record of {@code source} written by the leader of term {@code fencingEpoch} landed in the store. */
  void nodeRecordLanded(long fencingEpoch, String source) {
    recordedByTerm.computeIfAbsent(fencingEpoch, e -> new HashSet<>()).add(source);
  }

  /** A forget of {@code source} by the leader of term {@code fencingEpoch} landed in the store. */
  void nodeForgetLanded(long fencingEpoch, String source) {
    Set<String> recorded = recordedByTerm.get(fencingEpoch);
    if (recorded != null) recorded.remove(source);
  }

  /**
   * After every step: the store never oversold, no leading arbiter counts ahead of it, and the
   * store still records every node the lease holder recorded and did not forget (a later leader
   * must wait for each).
   */
  void stepDone(List<SimArbiter> arbiters) {
    for (SimArbiter a : arbiters) {
      if (!a.holdsLease()) continue;
      for (String source : recordedByTerm.getOrDefault(a.epoch(), Set.of())) {
        if (!store.regionNodes(Partition.ONLY).contains(source)) {
          throw new AssertionError(a.name + " (epoch " + a.epoch() + ") recorded " + source
              + ", but the store no longer records it: the next leader would not wait for it");
        }
      }
    }
    for (EventSpec spec : specs.values()) {
      EventHead head = store.loadHead(spec.eventId());
      if (head.remainingStock() < 0 || head.remainingStock() != stockLeft.get(spec.eventId())) {
        throw new AssertionError("store holds " + head + " but its accepted writes leave " + stockLeft.get(spec.eventId()));
      }
      if (!head.remainingBySlot().equals(slotsLeft.get(spec.eventId()))) {
        throw new AssertionError("store holds slots " + head.remainingBySlot() + " but its accepted writes leave "
            + slotsLeft.get(spec.eventId()));
      }
      EventStatus stored = EventStatus.of(head); // an auction's winners count once its close is stored
      for (SimArbiter a : arbiters) {
        EventStatus status = a.status(spec.eventId()).orElse(null);
        if (status != null && (status.decisions() > head.lastRank() || status.remainingStock() < stored.remainingStock()
            || !status.remainingBySlot().equals(head.remainingBySlot()) && status.decisions() == head.lastRank())) {
          throw new AssertionError(a.name + " counts " + status + " ahead of the store's " + head);
        }
      }
    }
  }

  long stockLeft(String eventId) {
    return stockLeft.get(eventId);
  }

  int answeredCount() {
    return answered.size();
  }
}
