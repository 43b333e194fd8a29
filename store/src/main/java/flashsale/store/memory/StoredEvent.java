package flashsale.store.memory;

import flashsale.sale.AuctionClose;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.store.StoreFencedException;
import flashsale.store.StoreRefusedException;
import flashsale.store.StoreRejectedException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One event's state inside {@link InMemoryArbiterStore}: the same rules the Redis persist
 * function enforces, checked in full before anything is written. Not thread-safe; the store
 * holds its lock around every call.
 */
final class StoredEvent {
  final String createRequestId;
  final EventSpec spec;
  private long remainingStock;
  /** A reservation's units left per slot; empty for a flash sale. */
  private final Map<String, Long> remainingBySlot;
  private final List<Decision> decisionsByRank = new ArrayList<>();
  private final Map<String, Decision> decisionsByRequestId = new HashMap<>();
  private final Map<String, Long> unitsWonByUser = new HashMap<>();
  /** An auction's result, once stored. */
  private AuctionClose auctionClose;
  /** An auction's standing bids and close as the last batch left them; empty before any. */
  private Optional<flashsale.sale.AuctionStanding> auctionStanding = Optional.empty();
  private final List<Decision> outbox = new ArrayList<>();
  /** Highest epoch that claimed or wrote this event; lower ones are fenced. */
  private long fenceEpoch;
  private long lateDecisions;
  private OptionalLong soldOutMicros = OptionalLong.empty();
  private Optional<EventHead.Released> lastReleased = Optional.empty();
  boolean live = true;

  StoredEvent(String createRequestId, EventSpec spec) {
    this.createRequestId = createRequestId;
    this.spec = spec;
    this.remainingStock = spec.stock();
    this.remainingBySlot = new LinkedHashMap<>(spec.slots());
  }

  /**
   * Writes the batch, or nothing when it repeats the batch already written at its ranks.
   *
   * @throws StoreRejectedException when the batch breaks a rule; nothing is written then
   * @throws StoreFencedException when {@code fencingEpoch} is stale; nothing is written then
   */
  void apply(DecisionBatch batch, long fencingEpoch) {
    requireCurrent(fencingEpoch);
    if (auctionClose != null) {
      for (Decision d : batch.decisions()) {
        if (d.ticket().isBid() && d.won()) {
          throw rejected("batch accepts a bid stamped " + d.ticket().stampMicros() + " but the auction closed at "
              + auctionClose.closeMicros());
        }
      }
    }
    long lastRank = decisionsByRank.size();
    if (batch.firstRank() <= lastRank) {
      if (sameAsStored(batch)) return;
      throw new flashsale.store.StoreDivergedException("event " + spec.eventId() + ": rank " + batch.firstRank()
          + " is already decided differently (last rank " + lastRank + ")");
    }
    if (batch.firstRank() != lastRank + 1) {
      throw new flashsale.store.StoreDivergedException("event " + spec.eventId() + ": batch starts at rank "
          + batch.firstRank() + " but the last decided rank is " + lastRank);
    }
    refuseWhatIsKnown(batch);
    Map<String, Long> newUserTotals = checkNewDecisions(batch);
    Map<String, Long> newSlotsLeft = checkSlots(batch);
    for (Decision d : batch.decisions()) {
      decisionsByRank.add(d);
      decisionsByRequestId.put(d.requestId(), d);
      if (d.won() && !d.ticket().isBid()) outbox.add(d); // an auction's winners go out at its close
      if (d.won() && remainingStock - d.unitsWon() == 0) soldOutMicros = OptionalLong.of(d.ticket().stampMicros());
      if (d.won()) remainingStock -= d.unitsWon();
    }
    lateDecisions += batch.lateDecisions();
    if (batch.releasedThrough().isPresent()) {
      lastReleased = batch.releasedThrough();
    }
    if (batch.auction().isPresent()) auctionStanding = batch.auction();
    unitsWonByUser.putAll(newUserTotals);
    remainingBySlot.putAll(newSlotsLeft);
    fenceEpoch = Math.max(fenceEpoch, fencingEpoch);
  }

  /** Stores an auction's result once (see {@code ArbiterStore.persistAuctionClose}). */
  void close(AuctionClose close, long fencingEpoch) {
    requireCurrent(fencingEpoch);
    if (auctionClose != null) {
      if (auctionClose.equals(close)) return;
      throw rejected("auction already closed at " + auctionClose.closeMicros() + " with other winners");
    }
    if (close.winners().size() > spec.stock()) throw rejected(close.winners().size() + " winners for " + spec.stock() + " units");
    List<Decision> winners = new ArrayList<>();
    for (var winner : close.winners()) {
      Decision d = decisionsByRequestId.get(winner.requestId());
      if (d == null) throw rejected("winner " + winner.requestId() + " was never decided");
      winners.add(d);
    }
    auctionClose = close;
    outbox.addAll(winners);
  }

  Optional<AuctionClose> auctionClose() {
    return Optional.ofNullable(auctionClose);
  }

  /** A new leader claims the event; see {@code ArbiterStore.fenceEvent}. */
  void fence(long fencingEpoch) {
    requireCurrent(fencingEpoch);
    fenceEpoch = fencingEpoch;
  }

  /** Throws when {@code fencingEpoch} may no longer write this event. */
  void requireCurrent(long fencingEpoch) {
    if (fencingEpoch < fenceEpoch) {
      throw new StoreFencedException("epoch " + fencingEpoch + " is below fencing epoch " + fenceEpoch
          + " of event " + spec.eventId(), fenceEpoch);
    }
  }

  private boolean sameAsStored(DecisionBatch batch) {
    int from = Math.toIntExact(batch.firstRank() - 1);
    int to = from + batch.decisions().size();
    return to <= decisionsByRank.size() && decisionsByRank.subList(from, to).equals(batch.decisions());
  }

  /** The same refusal as the Redis function: request ids already decided, users pushed over the limit. */
  private void refuseWhatIsKnown(DecisionBatch batch) {
    Set<String> seen = new HashSet<>();
    Map<String, Decision> decided = new HashMap<>();
    Map<String, Long> totals = new HashMap<>();
    Map<String, Long> over = new HashMap<>();
    for (Decision d : batch.decisions()) {
      if (!seen.add(d.requestId())) throw rejected("request id " + d.requestId() + " appears twice in one batch");
      Decision stored = decisionsByRequestId.get(d.requestId());
      if (stored != null) {
        decided.put(d.requestId(), stored);
        continue;
      }
      if (!d.won()) continue;
      String user = d.ticket().userId();
      long held = unitsWonByUser.getOrDefault(user, 0L);
      long total = totals.getOrDefault(user, held) + d.unitsWon();
      totals.put(user, total);
      if (total > spec.perUserLimit()) over.putIfAbsent(user, held);
    }
    if (!decided.isEmpty() || !over.isEmpty()) throw new StoreRefusedException(spec.eventId(), decided, over);
  }

  /** Returns each winning user's new unit total. */
  private Map<String, Long> checkNewDecisions(DecisionBatch batch) {
    Map<String, Long> totals = new HashMap<>();
    for (Decision d : batch.decisions()) {
      if (!d.won()) continue;
      String user = d.ticket().userId();
      totals.put(user, totals.getOrDefault(user, unitsWonByUser.getOrDefault(user, 0L)) + d.unitsWon());
    }
    if (batch.unitsWon() > remainingStock) {
      throw rejected("batch wins " + batch.unitsWon() + " units but only " + remainingStock + " remain");
    }
    return totals;
  }

  /**
   * The same slot check as the Redis function: a reservation's winners each take a slot of the
   * event with room for them, a flash sale's none. Returns the touched slots' units left.
   */
  private Map<String, Long> checkSlots(DecisionBatch batch) {
    Map<String, Long> left = new HashMap<>();
    for (Decision d : batch.decisions()) {
      if (!d.won()) continue;
      if (spec.slots().isEmpty()) {
        if (!d.slot().isEmpty()) throw rejected("winner " + d.requestId() + " takes slot " + d.slot() + " of a flash sale");
        continue;
      }
      Long before = left.getOrDefault(d.slot(), remainingBySlot.get(d.slot()));
      if (before == null) throw rejected("winner " + d.requestId() + " takes no slot of the event (slot '" + d.slot() + "')");
      if (d.unitsWon() > before) {
        throw rejected("batch fills slot " + d.slot() + " past its capacity (" + before + " left, " + d.requestId()
            + " takes " + d.unitsWon() + ")");
      }
      left.put(d.slot(), before - d.unitsWon());
    }
    return left;
  }

  private StoreRejectedException rejected(String why) {
    return new StoreRejectedException("event " + spec.eventId() + ": " + why);
  }

  EventHead head() {
    long wins = outbox.stream().filter(d -> !d.ticket().isBid()).count(); // an auction's winners take no unit here
    // An auction closed before any bid has its fresh standing, closed.
    Optional<flashsale.sale.AuctionStanding> auction = spec.auction().isEmpty() ? Optional.empty()
        : auctionStanding.or(() -> decisionsByRank.isEmpty() ? Optional.of(flashsale.sale.AuctionStanding.fresh(spec))
            : Optional.empty()).map(a -> a.withClosed(auctionClose != null));
    return new EventHead(spec, remainingStock, decisionsByRank.size(), wins, lateDecisions, soldOutMicros, lastReleased,
        remainingBySlot, auction);
  }

  Decision decision(String requestId) {
    return decisionsByRequestId.get(requestId);
  }

  List<Decision> decisionsAfter(long afterRank, int limit) {
    int from = (int) Math.min(afterRank, decisionsByRank.size());
    int to = (int) Math.min((long) from + limit, decisionsByRank.size());
    return List.copyOf(decisionsByRank.subList(from, to));
  }

  List<Decision> outbox() {
    return List.copyOf(outbox);
  }
}
