package flashsale.arbiter.grpc;

import flashsale.arbiter.core.Effect;
import flashsale.arbiter.core.Sequencer;
import flashsale.sale.DecisionBatch;
import flashsale.store.ArbiterStore;
import flashsale.store.StoreRejectedException;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the {@link Sequencer} on one thread: every input is posted here, and the effects it
 * returns are carried out here (store writes asynchronously, their completions posted back).
 * One thread keeps the sequencer free of locks and its inputs in one total order.
 */
public final class SequencerLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SequencerLoop.class);
  private static final long MAX_RETRY_DELAY_MS = 1_000;

  private final Sequencer sequencer;
  private final ArbiterStore store;
  private final InstantSource clock;
  private final RegionSessions sessions;
  private final ScheduledExecutorService thread;

  public SequencerLoop(Sequencer sequencer, ArbiterStore store, InstantSource clock, RegionSessions sessions) {
    this.sequencer = sequencer;
    this.store = store;
    this.clock = clock;
    this.sessions = sessions;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "sequencer-loop");
              t.setDaemon(true);
              return t;
            });
  }

  public long nowMicros() {
    return Micros.of(clock.instant());
  }

  /** Feeds one input to the sequencer on the loop thread and carries out its effects. */
  public void input(Function<Sequencer, List<Effect>> input) {
    thread.execute(() -> apply(input));
  }

  /** Feeds one input now; only from a task already running on the loop thread. */
  void inputNow(Function<Sequencer, List<Effect>> input) {
    apply(input);
  }

  /** Reads sequencer state on the loop thread. */
  public <T> CompletableFuture<T> query(Function<Sequencer, T> query) {
    return CompletableFuture.supplyAsync(() -> query.apply(sequencer), thread);
  }

  /** Runs an adapter task on the loop thread, in order with the sequencer's inputs. */
  public void execute(Runnable task) {
    thread.execute(task);
  }

  private void apply(Function<Sequencer, List<Effect>> input) {
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
      case Effect.PersistBatch p -> persist(p.batch(), 1);
      case Effect.SendDecisions s -> sessions.sendDecisions(s.region(), s.decisions());
      case Effect.BroadcastSoldOut b -> sessions.broadcastSoldOut(b.eventId(), b.soldOutMicros());
      case Effect.RejectTicket r -> sessions.reject(r.region(), r.ticket(), r.reason(), r.message());
      case Effect.SendClockVerdict v -> sessions.sendClockVerdict(v.region(), v.flagged(), v.message());
      case Effect.CutOffRegion c -> sessions.cutOff(c.region(), c.reason());
    }
  }

  /** Nothing is told before the store holds the batch; a failed write is retried as is. */
  private void persist(DecisionBatch batch, int attempt) {
    store
        .persistBatch(batch)
        .whenComplete(
            (ok, error) -> {
              if (error == null) {
                input(s -> s.batchPersisted(batch.eventId(), batch.sequence(), nowMicros()));
                return;
              }
              long delayMs = Math.min(MAX_RETRY_DELAY_MS, 5L << Math.min(attempt, 8));
              if (error instanceof StoreRejectedException
                  || error.getCause() instanceof StoreRejectedException) {
                log.error(
                    "store rejected batch event={} seq={} ranks={}..{}: {}; retrying in {} ms",
                    batch.eventId(), batch.sequence(), batch.firstRank(), batch.lastRank(),
                    error.getMessage(), delayMs);
              } else {
                log.warn(
                    "persist failed event={} seq={} attempt={}: {}; retrying in {} ms",
                    batch.eventId(), batch.sequence(), attempt, error.toString(), delayMs);
              }
              thread.schedule(() -> persist(batch, attempt + 1), delayMs, TimeUnit.MILLISECONDS);
            });
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
