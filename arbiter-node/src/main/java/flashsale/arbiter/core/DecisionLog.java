package flashsale.arbiter.core;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.RecentDecisions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An event's decisions on their way to the store and back to the regions. At most one batch is
 * in flight; its decisions are told only once the store holds them, to the origin region and to
 * every other region that submitted the same request id.
 *
 * <p>Durable decisions are remembered in a bounded cache (the oldest out, kept off the heap: as
 * objects they were most of what each young collection copied), so a retry is usually answered at
 * once; one that fell out is decided again and refused by the store, which answers with the stored
 * decision. Memory does not grow with the event's history.
 */
final class DecisionLog {

  private final String eventId;
  private final PersistedCounters counters;
  private final RecentDecisions recent;
  private final Map<String, Set<String>> extraSubscribers = new HashMap<>();
  private DecisionBatch inFlightBatch;
  private long nextSequence = 1;
  private long lastPersistedSequence;

  DecisionLog(EventHead head, int cachedDecisions) {
    if (cachedDecisions < 1) throw new IllegalArgumentException("cachedDecisions < 1: " + cachedDecisions);
    this.eventId = head.spec().eventId();
    this.counters = new PersistedCounters(head);
    this.recent = new RecentDecisions(cachedDecisions);
  }

  /** A durable decision of {@code requestId}, if still in the cache. */
  Decision persisted(String requestId) {
    return recent.get(requestId).orElse(null);
  }

  boolean hasBatchInFlight() {
    return inFlightBatch != null;
  }

  PersistedCounters counters() {
    return counters;
  }

  /** Also tells {@code region} (a stream source: a region node) the decision of {@code requestId} once it is durable. */
  void subscribe(String requestId, String region) {
    extraSubscribers.computeIfAbsent(requestId, id -> new LinkedHashSet<>()).add(region);
  }

  /** Sends the next batch to the store, with an auction's standing once it is decided. */
  DecisionBatch begin(List<Decision> decisions, Optional<EventHead.Released> releasedThrough,
      Optional<flashsale.sale.AuctionStanding> auction) {
    if (inFlightBatch != null) {
      throw new IllegalStateException("batch " + inFlightBatch.sequence() + " of " + eventId + " still in flight");
    }
    inFlightBatch = new DecisionBatch(eventId, nextSequence++, decisions, releasedThrough, auction);
    return inFlightBatch;
  }

  /**
   * The store refused batch {@code sequence} (it wrote nothing): returns it, and the next batch
   * takes its ranks.
   */
  DecisionBatch refused(long sequence) {
    if (inFlightBatch == null || inFlightBatch.sequence() != sequence) {
      throw new IllegalStateException("refusal of batch " + sequence + " of " + eventId + " that is not in flight");
    }
    DecisionBatch refused = inFlightBatch;
    inFlightBatch = null;
    return refused;
  }

  /**
   * A decision the store held from an earlier term, for a ticket this term decided again: told
   * like a new one (to the ticket's region and every region that joined it), but not counted.
   */
  void tellStored(Decision stored, String region, List<Effect> effects) {
    recent.put(stored.requestId(), stored);
    Set<String> regions = new LinkedHashSet<>();
    regions.add(region);
    Set<String> extra = extraSubscribers.remove(stored.requestId());
    if (extra != null) regions.addAll(extra);
    for (String r : regions) effects.add(new Effect.SendDecisions(r, List.of(stored)));
  }

  /** Drops the regions waiting for {@code requestId} (its ticket was refused). */
  Set<String> unsubscribe(String requestId) {
    Set<String> extra = extraSubscribers.remove(requestId);
    return extra == null ? Set.of() : extra;
  }

  /**
   * The store holds batch {@code sequence}: tells its decisions and, if it took the last unit,
   * the sold-out stamp. A repeated acknowledgement of an earlier batch is ignored.
   *
   * @return the decisions now durable; none for a repeated acknowledgement
   */
  List<Decision> complete(long sequence, List<Effect> effects) {
    if (inFlightBatch == null || sequence != inFlightBatch.sequence()) {
      if (sequence >= 1 && sequence <= lastPersistedSequence) return List.of();
      throw new IllegalStateException("batch " + sequence + " of " + eventId + " was never sent to the store");
    }
    Map<String, List<Decision>> byRegion = new LinkedHashMap<>();
    boolean soldOut = false;
    for (Decision decision : inFlightBatch.decisions()) {
      recent.put(decision.requestId(), decision);
      soldOut |= counters.count(decision);
      route(byRegion, decision.ticket().source(), decision);
      Set<String> extra = extraSubscribers.isEmpty() ? null : extraSubscribers.remove(decision.requestId());
      if (extra != null) extra.forEach(region -> route(byRegion, region, decision));
    }
    // Each list is this method's own: handed out read-only rather than copied.
    byRegion.forEach((region, decisions) -> effects.add(new Effect.SendDecisions(region, Collections.unmodifiableList(decisions))));
    if (soldOut) effects.add(new Effect.BroadcastSoldOut(eventId, counters.soldOutMicros().getAsLong()));
    lastPersistedSequence = sequence;
    List<Decision> completed = inFlightBatch.decisions();
    inFlightBatch = null;
    return completed;
  }

  private static void route(Map<String, List<Decision>> byRegion, String region, Decision decision) {
    List<Decision> decisions = byRegion.computeIfAbsent(region, r -> new ArrayList<>());
    if (decisions.isEmpty() || decisions.get(decisions.size() - 1) != decision) decisions.add(decision);
  }
}
