package flashsale.store;

import flashsale.sale.AuctionClose;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventLedger;
import flashsale.sale.EventSpec;
import flashsale.sale.Partition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * The arbiter's durable state. Every method is safe to call from any thread. Redis keys are
 * hash-tagged by event ({@code fs:{eventId}:...}) so the same scripts run on Redis Cluster.
 *
 * <p>No call grows with an event's history: reads are paged, and a leader loads only live events'
 * {@link EventHead}s. What a leader no longer holds in memory (per-user counts, decided request
 * ids) is checked by {@link #persistBatch}, which refuses a batch that contradicts it.
 */
public interface ArbiterStore extends AutoCloseable {
  /** Page size of the reads that walk a whole event ({@link #loadLedger}, {@link #readOutbox}). */
  int PAGE = 1000;

  /**
   * Creates an event, idempotent by {@code requestId} (AIP-155): a retry with the same id and the
   * same content (every field but the tie-break seed, which each attempt draws anew) returns the
   * event stored first, seed included.
   *
   * @throws EventExistsException when the event id exists and was created by another request id
   * @throws RequestIdReusedException when the request id created an event with other content
   */
  EventSpec createEvent(String requestId, EventSpec spec);

  Optional<EventSpec> findEvent(String eventId);

  /**
   * Whether the pools of the CENTRAL or SHARDED event were opened ({@link #markPoolsOpened}): an
   * arbiter lets no region learn of such an event before, so none sells from a pool it may yet
   * open. False for an event not stored.
   */
  boolean poolsOpened(String eventId);

  /** Records that the stored event's pools were opened, for good; idempotent. Returns once it is durable. */
  void markPoolsOpened(String eventId);

  /**
   * The events created and not yet {@linkplain #finishEvent finished} whose id {@code eventIds}
   * accepts, in no particular order: what a new leader (of one partition) claims. Read in pages;
   * finished events are not read at all, and another partition's are listed by id only.
   */
  List<EventSpec> listLiveEvents(Predicate<String> eventIds);

  /** Every live event: {@link #listLiveEvents(Predicate)} for a leader of all partitions. */
  default List<EventSpec> listLiveEvents() {
    return listLiveEvents(eventId -> true);
  }

  /**
   * Takes a finished event (its sale over, nothing of it pending) out of the live index: new
   * leaders no longer load it; its decisions stay readable. Idempotent: the retention of its
   * records counts from the first call.
   */
  void finishEvent(String eventId);

  /**
   * Takes one event creation from {@code identity}'s quota, a token bucket refilling {@code
   * perSecond} up to {@code burst}, shared by every arbiter process on this store (partition
   * leaders, and the leaders after a failover, draw on one bucket).
   *
   * @return 0 when taken; else the microseconds until a creation would be
   */
  long takeEventCreation(String identity, double perSecond, int burst);

  /**
   * True while the event is in the live index: created and not yet {@linkplain #finishEvent
   * finished}. A stored event that is not live is finished, and is served from the store as it is.
   */
  boolean isLive(String eventId);

  /**
   * The fencing epoch of a writer that never claimed an event (a lone arbiter without a lease):
   * accepted only until some leader claims the event with {@link #fenceEvent}.
   */
  long UNFENCED = 0;

  /** {@link #persistBatch(DecisionBatch, long)} as a writer that holds no lease. */
  default CompletableFuture<Void> persistBatch(DecisionBatch batch) {
    return persistBatch(batch, UNFENCED);
  }

  /**
   * Atomically (one server-side script call) checks the writer's {@code fencingEpoch} and stores the batch's decisions, deducts the winners'
   * units from stock, adds them to the users' counts and appends each winner to the outbox.
   * Applying the same batch twice is a no-op that completes normally (a retry after a timeout).
   * Completes exceptionally with {@link StoreRefusedException}, writing nothing, when some request
   * ids are already decided or some winners would exceed the per-user limit (it carries the stored
   * decisions and units, for the leader to re-decide). Completes exceptionally with
   * {@link StoreRejectedException} when the batch would oversell or skip ranks; nothing is
   * written then. Completes exceptionally with {@link StoreFencedException}, writing nothing,
   * when {@code fencingEpoch} is below the highest epoch that claimed or wrote the event; a
   * successful write under a higher epoch raises the event's epoch to it.
   */
  CompletableFuture<Void> persistBatch(DecisionBatch batch, long fencingEpoch);

  /**
   * Stores an auction's result atomically, once: its close and winners, each winner appended to
   * the outbox. From then on a batch that accepts a bid is rejected. Writing the same result again
   * is a no-op (a retry). Completes exceptionally with {@link StoreRejectedException}, writing
   * nothing, for another result or a winner never decided, and with {@link StoreFencedException}
   * for a stale epoch.
   */
  CompletableFuture<Void> persistAuctionClose(AuctionClose close, long fencingEpoch);

  /** An auction's stored result, once closed. */
  Optional<AuctionClose> findAuctionClose(String eventId);

  /**
   * Claims the event for the leader of {@code fencingEpoch}: from now on every batch under a lower
   * epoch is fenced, so a ledger loaded after this call is final for all earlier leaders.
   *
   * @throws StoreFencedException when a higher epoch already claimed the event
   * @throws EventNotFoundException when the event does not exist
   */
  void fenceEvent(String eventId, long fencingEpoch);

  /**
   * What a leader needs to go on deciding the event: stock left, counters, last rank and last
   * released ticket. Constant size, whatever the event's history.
   *
   * @throws EventNotFoundException when the event does not exist
   */
  EventHead loadHead(String eventId);

  /**
   * The event's whole ledger, read page by page (for audits and tests, never for a leader), and
   * checked against its head.
   *
   * @throws EventNotFoundException when the event does not exist
   * @throws IllegalStateException when the head's counters disagree with the decisions
   */
  default EventLedger loadLedger(String eventId) {
    EventHead head = loadHead(eventId);
    // Ranks up to the head's last rank are final, so pages read after it agree with it.
    List<Decision> decisions = new ArrayList<>();
    while (decisions.size() < head.lastRank()) {
      int wanted = (int) Math.min(PAGE, head.lastRank() - decisions.size());
      List<Decision> page = listDecisions(eventId, decisions.size(), wanted);
      if (page.isEmpty()) throw new IllegalStateException("event " + eventId + ": log ends at " + decisions.size()
          + " but the last rank is " + head.lastRank());
      decisions.addAll(page);
    }
    Map<String, Long> units = new HashMap<>();
    long remaining = head.spec().stock();
    for (int i = 0; i < decisions.size(); i++) {
      Decision d = decisions.get(i);
      if (d.rank() != i + 1) throw new IllegalStateException("event " + eventId + ": rank " + d.rank() + " at index " + i);
      if (d.unitsWon() > 0) units.merge(d.ticket().userId(), (long) d.unitsWon(), Long::sum);
      remaining -= d.unitsWon();
    }
    EventLedger ledger = new EventLedger(head.spec(), remaining, units, decisions);
    // The last released ticket is not derivable from decisions (not every in-order decision was released).
    EventHead derived = ledger.head().withLastReleased(head.lastReleased());
    // Whether an auction's result is stored is not in its decisions either.
    boolean closed = head.auction().map(flashsale.sale.AuctionStanding::closed).orElse(false);
    derived = derived.withAuction(derived.auction().map(a -> a.withClosed(closed)));
    if (!derived.equals(head)) {
      throw new IllegalStateException("event " + eventId + ": corrupt ledger: head " + head + " but decisions give "
          + ledger.head());
    }
    return ledger;
  }

  Optional<Decision> findDecision(String eventId, String requestId);

  /**
   * Records that the named region node {@code source} ({@code region/node}) sells through the
   * arbiters of leadership {@code partition}: from now on every new leader of that partition waits
   * for it as for a silent region, until it speaks or times out. A leader records a node before it
   * first welcomes it, so no node stamps a ticket a later leader does not know to wait for. The
   * record keeps the latest {@code fencingEpoch} it was written under, and its writer. Idempotent.
   */
  CompletableFuture<Void> recordRegionNode(Partition partition, String source, long fencingEpoch);

  /**
   * Forgets a recorded region node (it went silent past the region timeout) unless another leader
   * recorded it since: one of a later epoch, or of the same epoch but another writer (an epoch
   * counter rolled back in a failover). A deposed leader's forget that lands after the next leader
   * welcomed the node must not leave it unrecorded. Records made under another partition count
   * are forgotten too. Idempotent.
   */
  CompletableFuture<Void> forgetRegionNode(Partition partition, String source, long fencingEpoch);

  /**
   * The region nodes a new leader of {@code partition} waits for, in no particular order: those
   * recorded for it, and every record made under another partition count (its events may have been
   * another partition's then). Bounded by the nodes alive lately, since a node silent past the
   * region timeout is forgotten.
   */
  List<String> regionNodes(Partition partition);

  /** Decisions with rank {@code > afterRank}, in rank order, at most {@code limit}. */
  List<Decision> listDecisions(String eventId, long afterRank, int limit);

  /** Winners handed to the downstream order service, in the order they were appended (read in pages). */
  List<Decision> readOutbox(String eventId);

  @Override
  void close();
}
