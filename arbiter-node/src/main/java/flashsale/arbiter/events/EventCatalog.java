package flashsale.arbiter.events;

import flashsale.orders.OrderTerms;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.store.ArbiterStore;
import flashsale.store.OrderStore;
import flashsale.store.PoolExistsException;
import flashsale.store.PoolLostException;
import flashsale.store.StoreRejectedException;
import flashsale.store.StoreFencedException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The create-event use case and the life of an event in this arbiter: stored first, then (a
 * CENTRAL or SHARDED event) its pools opened, then sequenced from its stored head, then announced
 * to the regions; brought in from the store on
 * recovery or on a look-up; let go once finished. Store refusals surface as the store's exceptions
 * ({@code EventExistsException}, {@code RequestIdReusedException}, {@code StoreRejectedException}),
 * which the callers translate.
 */
public final class EventCatalog {
  private static final Logger log = LoggerFactory.getLogger(EventCatalog.class);

  /** An event with a payment window on an arbiter whose store keeps no orders. */
  public static final class OrdersNotKeptException extends RuntimeException {
    OrdersNotKeptException() {
      super("this arbiter's store keeps no orders: no payment_window");
    }
  }

  /**
   * A CENTRAL or SHARDED event whose pools this arbiter cannot open: {@link #unopenable} says why
   * (a store it was not given), else the opening failed ({@link #getCause}). The event is not on
   * sale until they are open.
   */
  public static final class PoolsNotOpenedException extends RuntimeException {
    private final boolean unopenable;

    PoolsNotOpenedException(String why) {
      super(why);
      this.unopenable = true;
    }

    PoolsNotOpenedException(EventSpec spec, Throwable cause) {
      super("the pools of event " + spec.eventId() + " could not be opened: " + cause.getMessage(), cause);
      this.unopenable = false;
    }

    public boolean unopenable() {
      return unopenable;
    }
  }

  /**
   * How long a failed pool opening is answered again without a try: a pool store that hangs holds
   * each try for its command timeout, and regions' look-ups of the event would each hold a call
   * thread that long.
   */
  static final long RETRY_OPENING_AFTER_MICROS = 1_000_000;
  private static final int MAX_FAILED_OPENINGS = 10_000;

  private record FailedOpening(long retryAtMicros, RuntimeException failure) {}

  private final ArbiterStore store;
  private final EventPools pools;
  /** Pool openings that failed lately, by event id (any thread). */
  private final java.util.Map<String, FailedOpening> failedOpenings = new java.util.concurrent.ConcurrentHashMap<>();
  private final EventSequencing loop;
  private final EventRegistry events;
  private final Consumer<EventSpec> announce;
  private volatile OrderStore orders;

  /**
   * @param pools where CENTRAL and SHARDED events' pools are opened at creation
   * @param announce tells the connected regions of a newly sequenced event (on the loop thread)
   */
  public EventCatalog(ArbiterStore store, EventPools pools, EventSequencing loop, EventRegistry events,
      Consumer<EventSpec> announce) {
    this.store = store;
    this.pools = pools;
    this.loop = loop;
    this.events = events;
    this.announce = announce;
  }

  /** Lets events carry order terms (a payment window); without it such events are refused. */
  public void keepOrdersIn(OrderStore orderStore) {
    this.orders = orderStore;
  }

  /**
   * Stores the event under {@code requestId} (a retry returns what the first call stored), with its
   * order terms in the same write, then opens a CENTRAL or SHARDED event's pools, then sequences
   * it; completes with the stored event once regions can buy. A region's look-up that finds the
   * event finds its terms (its waitlist bound) too.
   *
   * @throws PoolsNotOpenedException when this arbiter has no store for the event's pools (nothing
   *     is stored); the returned future fails with it when a store failed (the event is stored, not
   *     on sale: a retry opens the pools)
   */
  public CompletableFuture<EventSpec> create(String requestId, EventSpec request, Optional<OrderTerms> terms) {
    OrderStore orderStore = orders;
    if (terms.isPresent() && orderStore == null) throw new OrdersNotKeptException(); // before anything is stored
    EventSpec wanted = request.withPoolsOpenedAtCreation(request.hasPools()); // never a client's say
    requireOpenable(wanted);
    EventSpec stored = terms.isPresent() ? orderStore.createEventWithTerms(requestId, wanted, terms.get())
        : store.createEvent(requestId, wanted);
    if (terms.isEmpty() && orderStore != null && orderStore.findTerms(stored.eventId()).isPresent()) {
      // A retry without the terms the first call stored: other content under the same request id.
      throw new StoreRejectedException("request id " + requestId + " created event " + stored.eventId()
          + " with order terms; this request has none");
    }
    return register(stored, true).thenApply(ok -> stored); // an operator's retry tries the pool stores again at once
  }

  /** Refuses, before anything is stored or charged, an event whose pools this arbiter has no store for. */
  public void requireOpenable(EventSpec spec) {
    if (!spec.hasPools()) return;
    pools.unopenable(spec).ifPresent(why -> {
      throw new PoolsNotOpenedException(why);
    });
  }

  /**
   * Opens the pools of a stored CENTRAL or SHARDED event, unless the store says they were opened:
   * no region learns of the event before (every way to it registers it, and registering comes
   * here first), so none can have sold from a pool opened here, and once the store says so none is
   * opened again: one missing later was lost, to be marked so, never opened again at its full
   * units. Openings racing each other (a retried create, a look-up, a new leader) open the same
   * units from the same stored spec.
   */
  private void openPoolsOnce(EventSpec spec, boolean evenIfFailedLately) {
    if (store.poolsOpened(spec.eventId())) return;
    requireOpenable(spec);
    long nowMicros = loop.nowMicros();
    FailedOpening failed = failedOpenings.get(spec.eventId());
    if (failed != null && !evenIfFailedLately && nowMicros < failed.retryAtMicros()) throw failed.failure();
    try {
      pools.open(spec).join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      RuntimeException failure = cause instanceof PoolExistsException || cause instanceof PoolLostException
          ? (RuntimeException) cause : new PoolsNotOpenedException(spec, cause);
      if (failedOpenings.size() >= MAX_FAILED_OPENINGS) failedOpenings.clear(); // forgetting only costs a try
      failedOpenings.put(spec.eventId(), new FailedOpening(nowMicros + RETRY_OPENING_AFTER_MICROS, failure));
      log.warn("pools not opened event={} mode={}: {}", spec.eventId(), spec.mode(), failure.getMessage());
      throw failure;
    }
    failedOpenings.remove(spec.eventId());
    store.markPoolsOpened(spec.eventId());
    log.info("pools opened event={} mode={}", spec.eventId(), spec.mode());
  }

  /**
   * {@link #register}, for a recovering leader: an event whose pools cannot be opened now is left
   * out (logged), not sold, instead of failing the whole recovery; a region's look-up or a retried
   * create opens them later.
   */
  public CompletableFuture<Void> registerOrLeaveUnopened(EventSpec spec) {
    return register(spec).exceptionallyCompose(failure -> {
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
      if (cause instanceof PoolsNotOpenedException || cause instanceof PoolExistsException
          || cause instanceof PoolLostException) {
        log.warn("event not on sale: its pools are not open event={} mode={}: {}", spec.eventId(), spec.mode(),
            cause.getMessage());
        return CompletableFuture.completedFuture(null);
      }
      return CompletableFuture.failedFuture(failure);
    });
  }

  /** The event's stored terms after the win, if it has a payment window. Blocks on the store. */
  public Optional<OrderTerms> terms(String eventId) {
    OrderStore orderStore = orders;
    return orderStore == null ? Optional.empty() : orderStore.findTerms(eventId);
  }

  /** The event if this arbiter sequences it now; no store read. */
  public Optional<EventSpec> find(String eventId) {
    return events.find(eventId);
  }

  /**
   * The event, from the registry or else from the store: an event can be stored but not yet
   * sequenced here (a deposed leader created it during the takeover, after this term read the live
   * index), and it must not read as unknown then. One out of the live index is finished (creation
   * writes the event and its index entry in one call): it is served as stored. Blocks on the store;
   * not for the loop thread.
   */
  public Optional<EventSpec> findOrLoad(String eventId) {
    Optional<EventSpec> known = events.find(eventId);
    if (known.isPresent()) return known;
    Optional<EventSpec> stored = store.findEvent(eventId);
    // A finished one (out of the live index) is served as stored: registering it again would claim
    // it, load its order book and finish it once more, on every look-up of it.
    if (stored.isPresent() && store.isLive(eventId)) register(stored.get()).join();
    return stored;
  }

  /**
   * Starts sequencing an event the store holds, from its head, and tells the connected regions.
   * The registry, the sequencer and the announcement change together on the loop thread, so no
   * region can see the event before the sequencer accepts tickets for it. A CENTRAL or SHARDED
   * event's pools are opened first, once ({@link PoolsNotOpenedException} and the pool stores'
   * refusals fail it). A finished event (past its end and the grace; an auction only once its
   * result is stored) is not sequenced: it is served from the store, once its open payment windows,
   * if any, have run out.
   */
  public CompletableFuture<Void> register(EventSpec spec) {
    return register(spec, false);
  }

  /** {@code retryPoolsNow}: a failed pool opening is tried again even within a second of the failure. */
  private CompletableFuture<Void> register(EventSpec spec, boolean retryPoolsNow) {
    if (events.find(spec.eventId()).isPresent()) return CompletableFuture.completedFuture(null);
    // Once its sale is over nothing can be sold: an event whose pools never opened is let go (finished) as any other.
    if (spec.poolsOpenedAtCreation() && loop.nowMicros() < spec.latestCloseMicros()) {
      try {
        openPoolsOnce(spec, retryPoolsNow);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    EventSequencing.Term readIn; // the term the head is read in
    EventHead head;
    long waitlistBound;
    try {
      readIn = loop.term().join();
    } catch (CompletionException e) {
      return CompletableFuture.failedFuture(e.getCause());
    }
    try {
      // Claimed before the head is read, as recovery does: an event a deposed leader created or
      // decided during the takeover takes no more of its writes once this term has read it. A
      // finished one too: its order book may still write (payment windows), under the same claim.
      if (readIn.fencingEpoch() != ArbiterStore.UNFENCED) store.fenceEvent(spec.eventId(), readIn.fencingEpoch());
      head = store.loadHead(spec.eventId());
      // Its waitlist's joins go in rank order: the sequencer ranks that many stock losers in order.
      waitlistBound = terms(spec.eventId()).map(OrderTerms::waitlistBound).orElse(0L);
    } catch (StoreFencedException e) {
      // A newer leader holds the event: this term is over, as when one of its batches is fenced.
      log.warn("event claimed by a newer leader event={} epoch={} claimedEpoch={}", spec.eventId(),
          readIn.fencingEpoch(), e.claimedEpoch());
      loop.fenced(readIn.fencingEpoch());
      return CompletableFuture.failedFuture(e);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return loop.query(
        q -> {
          if (q != readIn.sequencer()) {
            // Leadership changed while the head was read: another leader may have decided more of
            // the event since, and this head would make this term re-decide ranks the store holds.
            log.info("event head read in an earlier term event={} action=not_sequenced", spec.eventId());
            return null;
          }
          if (q.finished(head, loop.nowMicros())) {
            // Still indexed live: a leader died finishing it, perhaps with payment windows still open.
            // Its order book runs them out first; then it leaves the index.
            loop.finishedEventAdded(spec, () -> finished(spec.eventId()));
            return null;
          }
          if (events.add(spec)) {
            loop.addEvent(head, spec, waitlistBound);
            announce.accept(spec);
          }
          return null;
        });
  }

  /** The event left the sequencer, finished: it leaves the store's live index (off the loop thread). */
  public void finished(String eventId) {
    events.remove(eventId);
    CompletableFuture.runAsync(() -> store.finishEvent(eventId), BlockingStoreCalls.EXECUTOR).exceptionally(e -> {
      // Still live in the index: the next leader loads it and finishes it again.
      log.warn("event finished but still indexed live event={}: {}", eventId, e.toString());
      return null;
    });
  }
}
