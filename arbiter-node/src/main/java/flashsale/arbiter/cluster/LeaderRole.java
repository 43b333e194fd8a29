package flashsale.arbiter.cluster;

import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.events.EventCatalog;
import flashsale.arbiter.events.EventRegistry;
import flashsale.arbiter.grpc.RegionSessions;
import flashsale.arbiter.grpc.SequencerLoop;
import flashsale.sale.EventSpec;
import flashsale.store.ArbiterStore;
import flashsale.store.StoreFencedException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches a node between leader and standby. Called on the leadership thread, it never blocks
 * there: recovery runs on its own "recovery" thread. Elected: a fresh sequencer for the term, the
 * recorded region nodes to wait for, then every live event (the store's live index) claimed under
 * the term's epoch and loaded from its constant-size head, and only once the term is recovered the
 * loop admits region streams and the gate opens. Deposed: the gate closes, the loop
 * refuses and ends every region stream with NOT_LEADER naming the leader, and the term's sequencer
 * with everything it had not persisted is dropped. Loop tasks are posted from the leadership
 * thread, so a term's "admit" and "refuse" reach the loop in the order they happened.
 */
public final class LeaderRole implements Leadership.Listener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderRole.class);

  private final ArbiterStore store;
  private final SequencerLoop loop;
  private final RegionSessions sessions;
  private final EventRegistry events;
  private final EventCatalog catalog;
  private final LeaderGate gate;
  private final Supplier<Sequencer> sequencers;
  private final Consumer<LeaderState> stateListener;
  /** The events this role leads (those of its partition); the rest of the live index is another's. */
  private final java.util.function.Predicate<String> ownsEvent;
  private final ExecutorService recovery = Executors.newSingleThreadExecutor(
      r -> Thread.ofPlatform().daemon().name("recovery").unstarted(r));
  /**
   * Events loaded at once during recovery. Each load is a few store round trips (claim, head,
   * terms) and two loop hops: one at a time, 5,000 live events at 1 ms a round trip kept the
   * partition shut for 10+ s, and the purchases regions resend after it were past the ticket age
   * bound. The store client pipelines concurrent calls on its connection.
   */
  static final int PARALLEL_LOADS = 16;
  /** Shared by every partition of the process (their recoveries often run at once); idle threads end. */
  private static final ExecutorService LOADERS = loaders();

  private static ExecutorService loaders() {
    var pool = new java.util.concurrent.ThreadPoolExecutor(PARALLEL_LOADS, PARALLEL_LOADS, 10, java.util.concurrent.TimeUnit.SECONDS,
        new java.util.concurrent.LinkedBlockingQueue<>(), Thread.ofPlatform().daemon().name("recovery-load-", 0).factory());
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
  /** The epoch being recovered or led; 0 while standby. Read by the recovery thread to stop early. */
  private volatile long term;
  /**
   * How often a leader lists the live events again: one created by the previous leader while this
   * one took over (stored after this one's recovery listed them, claimed under the old epoch) is
   * found and sequenced here, where nothing else would load it (regions never look up an event they
   * already know).
   */
  static final long RELIST_INTERVAL_MS = 10_000;
  private volatile long relistIntervalMs = RELIST_INTERVAL_MS;
  /**
   * Live events this term has listed and loaded (a finished one stays in the index while its
   * payment windows run out, and is never in the registry: it must not be loaded again each time).
   */
  private final java.util.Set<String> listedThisTerm = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * @param stateListener told of every change of {@link LeaderState} (e.g. health follows it); must
   *     not block
   */
  public LeaderRole(ArbiterStore store, SequencerLoop loop, RegionSessions sessions, EventRegistry events,
      EventCatalog catalog, LeaderGate gate, Supplier<Sequencer> sequencers,
      Consumer<LeaderState> stateListener) {
    this(store, loop, sessions, events, catalog, gate, sequencers, stateListener, eventId -> true);
  }

  /** As above, leading only the events {@code ownsEvent} accepts (one partition of them). */
  public LeaderRole(ArbiterStore store, SequencerLoop loop, RegionSessions sessions, EventRegistry events,
      EventCatalog catalog, LeaderGate gate, Supplier<Sequencer> sequencers,
      Consumer<LeaderState> stateListener, java.util.function.Predicate<String> ownsEvent) {
    this.ownsEvent = ownsEvent;
    this.store = store;
    this.loop = loop;
    this.sessions = sessions;
    this.events = events;
    this.catalog = catalog;
    this.gate = gate;
    this.sequencers = sequencers;
    this.stateListener = stateListener;
  }

  @Override
  public void elected(Leadership.Term won) {
    term = won.epoch();
    listedThisTerm.clear();
    stateListener.accept(LeaderState.RECOVERING);
    Sequencer fresh = sequencers.get();
    fresh.holdStreamsBack(); // no region can reach this term while it recovers: none times out meanwhile
    CompletableFuture<Void> led = loop.lead(fresh, won.epoch());
    recovery.execute(() -> recover(won, led));
  }

  /** Recovery thread: claims and rebuilds every stored event, then reports to the term. */
  private void recover(Leadership.Term won, CompletableFuture<Void> led) {
    long startNanos = System.nanoTime();
    try {
      led.join();
      // Every named region node an earlier leader welcomed is waited for until it speaks or times out.
      java.util.List<String> nodes = store.regionNodes(loop.partition());
      loop.input(q -> q.regionNodesRecorded(nodes, loop.nowMicros()));
      // Only this partition's live events: finished ones are served from the store and never read here.
      var live = store.listLiveEvents(ownsEvent);
      long listMs = (System.nanoTime() - startNanos) / 1_000_000;
      // Each claimed before its head is read (register fences it): no earlier leader can add to
      // the ledger we rebuild from. Events are independent, so they load side by side.
      var loads = new java.util.ArrayList<CompletableFuture<Void>>(live.size());
      for (EventSpec spec : live) {
        loads.add(CompletableFuture.runAsync(() -> {
          if (term == won.epoch()) catalog.registerOrLeaveUnopened(spec).join(); // else deposed meanwhile: the next term starts afresh
        }, LOADERS));
      }
      try {
        CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new)).join();
      } catch (CompletionException e) {
        // Of several failed loads, a fencing one says most (the next epoch must go above it).
        Throwable cause = loads.stream().filter(CompletableFuture::isCompletedExceptionally)
            .map(load -> innermost(load.exceptionNow())).filter(StoreFencedException.class::isInstance)
            .findFirst().orElseGet(() -> innermost(e));
        if (cause instanceof RuntimeException runtime) throw runtime;
        if (cause instanceof Error error) throw error;
        throw e;
      }
      if (term != won.epoch()) return;
      live.forEach(spec -> listedThisTerm.add(spec.eventId()));
      log.info("recovered epoch={} liveEvents={} listMs={} recoveryMs={}", won.epoch(), live.size(), listMs,
          (System.nanoTime() - startNanos) / 1_000_000);
      won.recovered();
    } catch (StoreFencedException e) {
      log.error("recovery fenced epoch={} claimedEpoch={}: {}", won.epoch(), e.claimedEpoch(), e.getMessage());
      won.fencedBy(e.claimedEpoch(), e.getMessage());
    } catch (RuntimeException | Error e) {
      // An Error too: a term left RECOVERING would go on renewing its lease and never lead.
      log.error("recovery failed epoch={}", won.epoch(), e);
      won.failed(e.toString());
      if (e instanceof VirtualMachineError fatal) throw fatal;
    }
  }

  /** {@code t} without the CompletionExceptions futures wrap it in. */
  private static Throwable innermost(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
    return t;
  }

  @Override
  public void leading(long epoch) {
    // Silence is counted from admission on: a node's timeout starts once it could speak to this term.
    loop.input(q -> q.streamsAdmitted(loop.nowMicros()));
    loop.execute(sessions::admit); // before the gate opens: no hello can reach the loop ahead of it
    gate.open();
    stateListener.accept(LeaderState.LEADING);
    log.info("leading epoch={}", epoch);
    relistLater(epoch);
  }

  /** For tests: lists the live events again every {@code ms} instead of {@link #RELIST_INTERVAL_MS}. */
  LeaderRole relistEvery(long ms) {
    this.relistIntervalMs = ms;
    return this;
  }

  private void relistLater(long epoch) {
    try {
      CompletableFuture.delayedExecutor(relistIntervalMs, java.util.concurrent.TimeUnit.MILLISECONDS, recovery)
          .execute(() -> relist(epoch));
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      // the role is closing
    }
  }

  /** Recovery thread: registers the live events of this partition the term does not sequence yet. */
  private void relist(long epoch) {
    if (term != epoch) return; // deposed: the next term lists them in its recovery
    // Only the ids are read for events already listed: their specs are not read again each time.
    java.util.List<EventSpec> unlisted = java.util.List.of();
    try {
      unlisted = store.listLiveEvents(id -> ownsEvent.test(id) && !listedThisTerm.contains(id));
    } catch (RuntimeException e) {
      log.warn("re-list of live events failed epoch={}: {}; trying again in {} ms", epoch, e.toString(), relistIntervalMs);
    }
    for (EventSpec spec : unlisted) {
      if (term != epoch) return;
      try {
        if (events.find(spec.eventId()).isEmpty()) {
          log.warn("live event not sequenced by this term found by the re-list event={} epoch={}: loading it",
              spec.eventId(), epoch);
          catalog.registerOrLeaveUnopened(spec).join();
        }
        listedThisTerm.add(spec.eventId());
      } catch (RuntimeException e) { // this event only: the others still load
        log.warn("re-list could not load event={} epoch={}: {}; trying again in {} ms", spec.eventId(), epoch,
            e.toString(), relistIntervalMs);
      }
    }
    relistLater(epoch);
  }

  @Override
  public void deposed(String why, String leaderAddress) {
    term = 0;
    gate.close();
    loop.execute(() -> sessions.refuseAll(gate::refusal));
    loop.standBy();
    // On the loop, right after the term's sequencer is dropped: an event added by a task queued
    // before (a look-up or recovery that read its head in this term) goes too, and one queued after
    // finds the term over and adds nothing. Cleared elsewhere, such an event could stay "known"
    // with no sequencer holding it, and the next term would never load it.
    loop.execute(events::clear);
    stateListener.accept(LeaderState.STANDBY);
    log.warn("standing by reason=\"{}\"", why);
  }

  @Override
  public void close() {
    recovery.shutdownNow();
  }
}
