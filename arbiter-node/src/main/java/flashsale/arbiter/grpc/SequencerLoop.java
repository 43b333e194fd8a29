package flashsale.arbiter.grpc;

import flashsale.sale.Micros;
import flashsale.arbiter.core.Effect;
import flashsale.arbiter.core.NotLeaderException;
import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.metrics.ArbiterMetrics;
import flashsale.sale.DecisionBatch;
import flashsale.store.ArbiterStore;
import flashsale.store.StoreFencedException;
import flashsale.store.StoreRefusedException;
import flashsale.store.StoreRejectedException;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the {@link Sequencer} on one thread: every input is posted here, and the effects it
 * returns are carried out here (store writes asynchronously, their completions posted back).
 * One thread keeps the sequencer free of locks and its inputs in one total order.
 *
 * <p>A node leads with one sequencer per term ({@link #lead}); between terms ({@link #standBy})
 * it has none and drops inputs. Store writes carry the term's fencing epoch; completions of an
 * earlier term are ignored, and a fenced write ends the term at once (nothing more is decided or
 * told) and is reported to the fenced listener.
 */
public final class SequencerLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SequencerLoop.class);
  private final ArbiterMetrics metrics;
  private static final long MAX_RETRY_DELAY_MS = 1_000;
  private static final long TICK_INTERVAL_MS = 50;

  private final ArbiterStore store;
  private final InstantSource clock;
  private final RegionSessions sessions;
  private final ScheduledExecutorService thread;
  private Sequencer sequencer; // null between terms; loop thread only
  private long epoch;
  /** Tells an earlier term's store completions from the current one's. */
  private long term;
  private LongConsumer fencedListener = epoch -> {};
  private Consumer<String> finishedListener = eventId -> {};

  /** A loop that leads at once, unfenced (a lone arbiter without a lease). */
  public SequencerLoop(
      Sequencer sequencer, ArbiterStore store, InstantSource clock, RegionSessions sessions, ArbiterMetrics metrics) {
    this.metrics = metrics;
    this.store = store;
    this.clock = clock;
    this.sessions = sessions;
    this.thread = Executors.newSingleThreadScheduledExecutor(
        r -> Thread.ofPlatform().daemon().name("sequencer-loop").unstarted(r));
    this.sequencer = sequencer;
    this.epoch = ArbiterStore.UNFENCED;
    thread.scheduleWithFixedDelay(() -> apply(s -> s.tick(nowMicros())), TICK_INTERVAL_MS, TICK_INTERVAL_MS,
        TimeUnit.MILLISECONDS);
  }

  /** Called with the epoch of a term whose write the store fenced (on the loop thread). */
  public void onFenced(LongConsumer listener) {
    this.fencedListener = listener;
  }

  /** Called with the id of an event that left the sequencer, finished (on the loop thread; must not block). */
  public void onFinished(Consumer<String> listener) {
    this.finishedListener = listener;
  }

  /** True while a term is under way on this node (loop thread only). */
  boolean leading() {
    return sequencer != null;
  }

  /** Starts a term: {@code fresh} decides from now on, writing under {@code fencingEpoch}. */
  public CompletableFuture<Void> lead(Sequencer fresh, long fencingEpoch) {
    return CompletableFuture.runAsync(() -> {
      sequencer = fresh;
      epoch = fencingEpoch;
      term++;
    }, thread);
  }

  /** Ends the term: the sequencer and everything it had not persisted are dropped. */
  public CompletableFuture<Void> standBy() {
    return CompletableFuture.runAsync(this::endTerm, thread);
  }

  private void endTerm() {
    sequencer = null;
    term++;
  }

  public long nowMicros() {
    return Micros.of(clock.instant());
  }

  /** Feeds one input to the sequencer on the loop thread and carries out its effects. */
  public void input(Function<Sequencer, List<Effect>> input) {
    execute(() -> apply(input));
  }

  /** Feeds one input now; only from a task already running on the loop thread. */
  void inputNow(Function<Sequencer, List<Effect>> input) {
    apply(input);
  }

  /** Reads sequencer state on the loop thread; fails while the node does not lead. */
  public <T> CompletableFuture<T> query(Function<Sequencer, T> query) {
    return CompletableFuture.supplyAsync(() -> {
      if (sequencer == null) throw new NotLeaderException("this arbiter does not lead");
      return query.apply(sequencer);
    }, thread);
  }

  /** Runs an adapter task on the loop thread, in order with the sequencer's inputs. */
  public void execute(Runnable task) {
    try {
      thread.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      // the node is stopping: late stream callbacks have nothing left to update
      log.debug("loop stopped; dropped a late task");
    }
  }

  private void apply(Function<Sequencer, List<Effect>> input) {
    if (sequencer == null) return; // a standby: the region's stream is being closed
    List<Effect> effects;
    try {
      effects = input.apply(sequencer);
    } catch (RuntimeException e) {
      log.error("sequencer input failed", e);
      return;
    }
    for (Effect effect : effects) carryOut(effect);
  }

  private void carryOut(Effect effect) {
    switch (effect) {
      case Effect.PersistBatch p -> persist(p.batch(), term, 1, System.nanoTime());
      case Effect.SendDecisions s -> sessions.sendDecisions(s.region(), s.decisions());
      case Effect.BroadcastSoldOut b -> sessions.broadcastSoldOut(b.eventId(), b.soldOutMicros());
      case Effect.RejectTicket r -> {
        metrics.ticketRejected(r.reason());
        sessions.reject(r.region(), r.ticket(), r.reason(), r.message());
      }
      case Effect.SendClockVerdict v -> sessions.sendClockVerdict(v.region(), v.flagged(), v.message());
      case Effect.CutOffRegion c -> {
        metrics.regionCutOff();
        sessions.cutOff(c.region(), c.reason());
      }
      case Effect.RegionExclusion x -> log.warn("region={} excluded={}: {}", x.region(), x.excluded(), x.message());
      case Effect.EventFinished f -> {
        log.info("event finished event={} sequencedEvents={}", f.eventId(), sequencer.eventCount());
        finishedListener.accept(f.eventId());
      }
    }
  }

  /** Nothing is told before the store holds the batch; a failed write is retried as is. */
  private void persist(DecisionBatch batch, long batchTerm, int attempt, long builtNanos) {
    long batchEpoch = epoch;
    store.persistBatch(batch, batchEpoch).whenCompleteAsync((ok, error) -> {
      if (batchTerm != term) return; // a term that ended: its decisions died with it
      if (error == null) {
        metrics.batchPersisted(batch, System.nanoTime() - builtNanos, nowMicros());
        apply(s -> s.batchPersisted(batch.eventId(), batch.sequence(), nowMicros()));
        return;
      }
      Throwable cause = error.getCause() != null ? error.getCause() : error;
      if (cause instanceof StoreRefusedException refusal) {
        metrics.batchRefused();
        log.info("store refused batch event={} seq={} decidedBefore={} usersAtLimit={}: deciding again",
            batch.eventId(), batch.sequence(), refusal.decided().size(), refusal.unitsHeld().size());
        apply(s -> s.batchRefused(batch.eventId(), batch.sequence(), refusal.decided(), refusal.unitsHeld(), nowMicros()));
        return;
      }
      if (cause instanceof StoreFencedException) {
        metrics.fenced();
        log.error("fenced event={} seq={} epoch={}: {}; this node stops deciding",
            batch.eventId(), batch.sequence(), batchEpoch, cause.getMessage());
        endTerm();
        fencedListener.accept(batchEpoch);
        return;
      }
      metrics.persistFailed();
      long delayMs = Math.min(MAX_RETRY_DELAY_MS, 5L << Math.min(attempt, 8));
      if (cause instanceof StoreRejectedException) {
        log.error("store rejected batch event={} seq={} ranks={}..{}: {}; retrying in {} ms",
            batch.eventId(), batch.sequence(), batch.firstRank(), batch.lastRank(), cause.getMessage(), delayMs);
      } else {
        log.warn("persist failed event={} seq={} attempt={}: {}; retrying in {} ms",
            batch.eventId(), batch.sequence(), attempt, cause.toString(), delayMs);
      }
      thread.schedule(() -> {
        if (batchTerm == term) persist(batch, batchTerm, attempt + 1, builtNanos);
      }, delayMs, TimeUnit.MILLISECONDS);
    }, thread);
  }

  @Override
  public void close() {
    thread.shutdown();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
