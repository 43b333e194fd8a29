package flashsale.arbiter.core;

import flashsale.loop.LoopScheduler;
import flashsale.sale.Micros;
import flashsale.sale.AuctionClose;
import flashsale.sale.DecisionBatch;
import flashsale.sale.Partition;
import flashsale.store.ArbiterStore;
import flashsale.store.StoreDivergedException;
import flashsale.store.StoreFencedException;
import flashsale.store.StoreRefusedException;
import flashsale.store.StoreRejectedException;
import java.time.InstantSource;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link Sequencer} of the current term on a {@link LoopScheduler}: feeds it inputs,
 * persists its batches (retrying a failed write as is, re-deciding a refused one) and hands every
 * other effect to the {@link Outlet}. Nothing is told before the store holds its batch.
 *
 * <p>A node leads with one sequencer per term ({@link #lead}); between terms ({@link #standBy}) it
 * has none and drops inputs. Store writes carry the term's fencing epoch; completions of an
 * earlier term are ignored, and a fenced write ends the term at once (nothing more is decided or
 * told) and is reported to {@link Outlet#fenced}; so does, under a lease, a batch the store refuses
 * because it holds other ranks for the event ({@link StoreDivergedException}, {@link Outlet#diverged}). Loop-owned: every method but {@link #nowMicros}
 * runs on the scheduler, and so do the store's completions.
 */
public final class SequencerRunner {
  private static final Logger log = LoggerFactory.getLogger(SequencerRunner.class);
  public static final long MAX_RETRY_DELAY_MS = 1_000;
  public static final long TICK_INTERVAL_MS = 50;

  /** Where the effects go (region streams), and what the adapters count. */
  public interface Outlet {
    /**
     * Every effect but the store writes ({@link Effect.PersistBatch}, {@link Effect.PersistAuctionClose},
     * {@link Effect.RecordRegionNode}, {@link Effect.ForgetRegionNode}), in the order the sequencer returned them.
     */
    void carryOut(Effect effect);

    /** The store fenced a write made under {@code epoch}: the term has ended already. */
    void fenced(long epoch);

    /**
     * The store refused a write made under {@code epoch} because it holds other ranks for the event:
     * the term has ended already, and the lease should go to a leader that rebuilds from the store.
     */
    default void diverged(long epoch) {
      fenced(epoch);
    }

    default void persisted(DecisionBatch batch, long elapsedNanos, long nowMicros) {}

    default void refused() {}

    default void persistFailed() {}

    /**
     * True while this node still holds the lease by its own clock. A region node is forgotten in the
     * store only then (the store also refuses a forget of a node a later leader recorded again).
     */
    default boolean holdsLease() {
      return true;
    }
  }

  private final ArbiterStore store;
  private final Partition partition;
  private final InstantSource clock;
  private final LoopScheduler loop;
  private final Outlet outlet;
  private Sequencer sequencer; // null between terms
  private long epoch = ArbiterStore.UNFENCED;
  /** Tells an earlier term's store completions from the current one's. */
  private long term;

  public SequencerRunner(ArbiterStore store, InstantSource clock, LoopScheduler loop, Outlet outlet) {
    this(store, Partition.ONLY, clock, loop, outlet);
  }

  /** As above, for leadership {@code partition}: the region nodes it records are that partition's. */
  public SequencerRunner(ArbiterStore store, Partition partition, InstantSource clock, LoopScheduler loop, Outlet outlet) {
    this.store = store;
    this.partition = partition;
    this.clock = clock;
    this.loop = loop;
    this.outlet = outlet;
  }

  /** Starts the periodic tick (region timeouts, finished events). */
  public LoopScheduler.Timer startTicking() {
    return loop.every(() -> apply(s -> s.tick(nowMicros())), TICK_INTERVAL_MS);
  }

  /** Starts a term: {@code fresh} decides from now on, writing under {@code fencingEpoch}. */
  public void lead(Sequencer fresh, long fencingEpoch) {
    sequencer = fresh;
    epoch = fencingEpoch;
    term++;
  }

  /** The fencing epoch of the term under way (or the last one), {@code ArbiterStore.UNFENCED} without a lease. */
  public long epoch() {
    return epoch;
  }

  /** Ends the term: the sequencer and everything it had not persisted are dropped. */
  public void standBy() {
    sequencer = null;
    term++;
  }

  /** True while a term is under way. */
  public boolean leading() {
    return sequencer != null;
  }

  /** The clock's reading now; safe from any thread. */
  public long nowMicros() {
    return Micros.of(clock.instant());
  }

  /** Reads sequencer state; fails while the node does not lead. */
  public <T> T query(Function<Sequencer, T> query) {
    if (sequencer == null) throw new NotLeaderException("this arbiter does not lead");
    return query.apply(sequencer);
  }

  /** Feeds one input to the sequencer and carries out its effects; dropped between terms. */
  public void apply(Function<Sequencer, List<Effect>> input) {
    if (sequencer == null) return; // a standby: the region's stream is being closed
    List<Effect> effects;
    try {
      effects = input.apply(sequencer);
    } catch (RuntimeException e) {
      log.error("sequencer input failed", e);
      return;
    }
    for (Effect effect : effects) {
      switch (effect) {
        case Effect.PersistBatch p -> persist(p.batch(), term, 1, loop.nanoTime());
        case Effect.PersistAuctionClose c -> persistClose(c.close(), term, 1);
        case Effect.RecordRegionNode r -> recordNode(r.source(), term, 1);
        case Effect.ForgetRegionNode f -> forgetNode(f.source());
        case Effect.EventFinished f -> {
          log.info("event finished event={} sequencedEvents={}", f.eventId(), sequencer.eventCount());
          outlet.carryOut(f);
        }
        default -> outlet.carryOut(effect);
      }
    }
  }

  /** Nothing is told before the store holds the batch; a failed write is retried as is. */
  private void persist(DecisionBatch batch, long batchTerm, int attempt, long builtNanos) {
    long batchEpoch = epoch;
    store.persistBatch(batch, batchEpoch).whenComplete((ok, error) -> loop.execute(() -> {
      if (batchTerm != term) return; // a term that ended: its decisions died with it
      if (error == null) {
        outlet.persisted(batch, loop.nanoTime() - builtNanos, nowMicros());
        apply(s -> s.batchPersisted(batch.eventId(), batch.sequence(), nowMicros()));
      } else {
        failed(batch, batchTerm, batchEpoch, attempt, builtNanos, error.getCause() != null ? error.getCause() : error);
      }
    }));
  }

  /** An auction's result is told only once stored; a failed write is retried as is, a fenced one ends the term. */
  private void persistClose(AuctionClose close, long closeTerm, int attempt) {
    long closeEpoch = epoch;
    store.persistAuctionClose(close, closeEpoch).whenComplete((ok, error) -> loop.execute(() -> {
      if (closeTerm != term) return;
      Throwable cause = error == null ? null : error.getCause() != null ? error.getCause() : error;
      if (cause == null) {
        apply(s -> s.auctionClosePersisted(close.eventId(), nowMicros()));
      } else if (cause instanceof StoreFencedException) {
        log.error("fenced auction close event={} epoch={}: {}; this node stops deciding", close.eventId(), closeEpoch,
            cause.getMessage());
        standBy();
        outlet.fenced(closeEpoch);
      } else {
        long delayMs = Math.min(MAX_RETRY_DELAY_MS, 5L << Math.min(attempt, 8));
        outlet.persistFailed(); // counted with the batches: an auction's result waits on the same store
        log.warn("auction close failed event={} attempt={}: {}; retrying in {} ms", close.eventId(), attempt, cause, delayMs);
        loop.schedule(() -> {
          if (closeTerm == term) persistClose(close, closeTerm, attempt + 1);
        }, delayMs);
      }
    }));
  }

  /**
   * A node is welcomed only once the store holds it, so the write is retried until it is durable
   * (or the term ends). Writes of one node go out in the order asked, and a forget is never retried,
   * so no forget lands after a later record.
   */
  private void recordNode(String source, long recordTerm, int attempt) {
    store.recordRegionNode(partition, source, epoch).whenComplete((ok, error) -> loop.execute(() -> {
      if (recordTerm != term) return;
      if (error == null) {
        apply(s -> s.regionNodeRecorded(source, nowMicros()));
        return;
      }
      long delayMs = Math.min(MAX_RETRY_DELAY_MS, 5L << Math.min(attempt, 8));
      log.warn("recording region node failed source={} attempt={}: {}; retrying in {} ms", source, attempt,
          error.getCause() != null ? error.getCause() : error, delayMs);
      loop.schedule(() -> {
        if (recordTerm == term) recordNode(source, recordTerm, attempt + 1);
      }, delayMs);
    }));
  }

  /**
   * Best effort: a node left recorded costs a later leader one region timeout of waiting for it.
   * The store keeps a record a later epoch wrote, so a forget that lands late does no harm.
   */
  private void forgetNode(String source) {
    if (!outlet.holdsLease()) return;
    store.forgetRegionNode(partition, source, epoch).whenComplete((ok, error) -> {
      if (error != null) log.warn("forgetting region node failed source={}: {}", source, error.toString());
    });
  }

  private void failed(DecisionBatch batch, long batchTerm, long batchEpoch, int attempt, long builtNanos, Throwable cause) {
    if (cause instanceof StoreRefusedException refusal) {
      outlet.refused();
      log.info("store refused batch event={} seq={} decidedBefore={} usersAtLimit={}: deciding again",
          batch.eventId(), batch.sequence(), refusal.decided().size(), refusal.unitsHeld().size());
      apply(s -> s.batchRefused(batch.eventId(), batch.sequence(), refusal.decided(), refusal.unitsHeld(), nowMicros()));
      return;
    }
    if (cause instanceof StoreFencedException) {
      log.error("fenced event={} seq={} epoch={}: {}; this node stops deciding",
          batch.eventId(), batch.sequence(), batchEpoch, cause.getMessage());
      standBy();
      outlet.fenced(batchEpoch);
      return;
    }
    if (cause instanceof StoreDivergedException && batchEpoch != ArbiterStore.UNFENCED) {
      // This term's ranks for the event are behind the store's (another leader decided more): the
      // same batch would be refused forever. Ending the term hands the lease to a leader that
      // rebuilds every event from the store; the regions resend what is still undecided. Other
      // rejections (a broken batch) would recur after a rebuild, so they are retried as before.
      log.error("store holds other ranks event={} seq={} ranks={}..{} epoch={}: {}; this node stops deciding",
          batch.eventId(), batch.sequence(), batch.firstRank(), batch.lastRank(), batchEpoch, cause.getMessage());
      standBy();
      outlet.diverged(batchEpoch);
      return;
    }
    outlet.persistFailed();
    long delayMs = Math.min(MAX_RETRY_DELAY_MS, 5L << Math.min(attempt, 8));
    if (cause instanceof StoreRejectedException) {
      log.error("store rejected batch event={} seq={} ranks={}..{}: {}; retrying in {} ms",
          batch.eventId(), batch.sequence(), batch.firstRank(), batch.lastRank(), cause.getMessage(), delayMs);
    } else {
      log.warn("persist failed event={} seq={} attempt={}: {}; retrying in {} ms",
          batch.eventId(), batch.sequence(), attempt, cause.toString(), delayMs);
    }
    loop.schedule(() -> {
      if (batchTerm == term) persist(batch, batchTerm, attempt + 1, builtNanos);
    }, delayMs);
  }
}
