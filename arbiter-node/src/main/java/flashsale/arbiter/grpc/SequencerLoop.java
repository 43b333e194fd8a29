package flashsale.arbiter.grpc;

import flashsale.arbiter.events.BlockingStoreCalls;

import flashsale.arbiter.core.Effect;
import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.core.SequencerRunner;
import flashsale.arbiter.core.orders.OrderRunner;
import flashsale.arbiter.events.EventSequencing;
import flashsale.arbiter.metrics.ArbiterMetrics;
import flashsale.loop.LoopScheduler;
import flashsale.sale.DecisionBatch;
import flashsale.sale.Partition;
import flashsale.store.ArbiterStore;
import flashsale.store.OrderStore;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the {@link Sequencer} on one thread: every input is posted here, and a {@link
 * SequencerRunner} on this thread feeds it and carries out what it returns (store writes
 * asynchronously, their completions posted back; messages through {@link RegionSessions}). One
 * thread keeps the sequencer free of locks and its inputs in one total order. Terms, fencing and
 * persist retries are the runner's; this class is the thread and the translation to sessions and
 * metrics.
 */
public final class SequencerLoop implements EventSequencing, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SequencerLoop.class);
  private final ArbiterMetrics metrics;
  private final RegionSessions sessions;
  private final ProgressTrackingThread thread;
  private final java.util.concurrent.atomic.AtomicInteger regionMessagesQueued = new java.util.concurrent.atomic.AtomicInteger();
  private final SequencerRunner runner;
  private final Partition partition;
  private LongConsumer fencedListener = epoch -> {};
  private Consumer<String> finishedListener = eventId -> {};
  /** Life after the win, on this same thread; null when the store keeps no orders. */
  private OrderRunner orders;

  /** A loop that leads at once, unfenced (a lone arbiter without a lease). */
  public SequencerLoop(
      Sequencer sequencer, ArbiterStore store, InstantSource clock, RegionSessions sessions, ArbiterMetrics metrics) {
    this(sequencer, store, clock, sessions, metrics, Partition.ONLY, "sequencer-loop");
  }

  /**
   * As above, for leadership {@code partition} (one loop per partition), on a thread named
   * {@code threadName}.
   */
  public SequencerLoop(Sequencer sequencer, ArbiterStore store, InstantSource clock, RegionSessions sessions,
      ArbiterMetrics metrics, Partition partition, String threadName) {
    this.partition = partition;
    this.metrics = metrics;
    this.sessions = sessions;
    this.thread = new ProgressTrackingThread(threadName);
    this.runner = new SequencerRunner(store, partition, clock, new ThreadScheduler(), new Outlet());
    // A later task: a new stream opened meanwhile has reconnected the node, and must stay connected.
    sessions.onLost(source -> execute(() -> {
      if (!sessions.hasStream(source)) inputNow(q -> q.regionDisconnected(source, nowMicros()));
    }));
    runner.lead(sequencer, ArbiterStore.UNFENCED);
    thread.execute(runner::startTicking);
  }

  /** The leadership partition this loop sequences ({@link Partition#ONLY} when leadership is not split). */
  public Partition partition() {
    return partition;
  }

  /**
   * Runs the events' order books (payment deadlines, waitlists) on this loop, in this loop's terms.
   * Call once, before the node serves.
   */
  public OrderRunner enableOrders(OrderStore orderStore, ArbiterStore store, InstantSource clock) {
    // A new leader's book reads go off this thread.
    OrderRunner runner = new OrderRunner(orderStore, store, clock, new ThreadScheduler(),
        task -> CompletableFuture.runAsync(task, BlockingStoreCalls.EXECUTOR));
    // Stored order changes go to every region node, for its GetPurchase and WatchPurchase.
    runner.onDurable(durable -> sessions.announceOrders(durable));
    // A payment window runs through a store outage: its failing writes page as the batches' do.
    runner.onWriteFailed(metrics::persistFailed);
    CompletableFuture.runAsync(() -> {
      orders = runner;
      if (this.runner.leading()) runner.lead(ArbiterStore.UNFENCED);
      runner.startTicking();
    }, thread).join();
    return runner;
  }

  /** Starts sequencing the event from its stored head (loop thread); its order book, if any, loads. */
  @Override
  public void addEvent(flashsale.sale.EventHead head, flashsale.sale.EventSpec spec, long waitlistBound) {
    inputNow(s -> s.eventAddedWithWaitlist(head, waitlistBound, nowMicros()));
    if (orders != null) orders.eventAdded(spec);
  }

  /**
   * A finished event (not sequenced again) found still live: its order book, if it has one, loads
   * with the sale over, so deadlines expire and released units reach the waitlist; {@code settled}
   * runs (on the loop thread) once nothing is left to do, at once without orders.
   */
  @Override
  public void finishedEventAdded(flashsale.sale.EventSpec spec, Runnable settled) {
    if (orders == null) {
      settled.run();
      return;
    }
    orders.eventAdded(spec);
    orders.saleEnded(spec.eventId(), settled);
  }

  @Override
  public CompletableFuture<Term> term() {
    return CompletableFuture.supplyAsync(() -> runner.query(s -> new Term(s, runner.epoch())), thread);
  }

  @Override
  public void fenced(long epoch) {
    execute(() -> {
      if (!runner.leading() || runner.epoch() != epoch) return; // that term is over already
      runner.standBy(); // nothing more is decided or told, as after a fenced batch
      fencedListener.accept(epoch);
    });
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
    return runner.leading();
  }

  /** Starts a term: {@code fresh} decides from now on, writing under {@code fencingEpoch}. */
  public CompletableFuture<Void> lead(Sequencer fresh, long fencingEpoch) {
    return CompletableFuture.runAsync(() -> {
      runner.lead(fresh, fencingEpoch);
      if (orders != null) orders.lead(fencingEpoch);
    }, thread);
  }

  /** Ends the term: the sequencer and everything it had not persisted are dropped. */
  public CompletableFuture<Void> standBy() {
    return CompletableFuture.runAsync(() -> {
      runner.standBy();
      if (orders != null) orders.standBy();
    }, thread);
  }

  @Override
  public long nowMicros() {
    return runner.nowMicros();
  }

  /**
   * True while the loop thread finishes tasks (its own ticks keep an idle loop finishing them):
   * behind on a backlog, not frozen. Safe from any thread.
   */
  public boolean finishedTaskWithinMs(long ms) {
    return System.nanoTime() - lastTaskEndNanos < TimeUnit.MILLISECONDS.toNanos(ms);
  }

  private volatile long lastTaskEndNanos = System.nanoTime();

  /** The loop's one thread, noting when each task ends. */
  private final class ProgressTrackingThread extends ScheduledThreadPoolExecutor {
    ProgressTrackingThread(String name) {
      super(1, r -> Thread.ofPlatform().daemon().name(name).unstarted(r));
    }

    @Override
    protected void afterExecute(Runnable task, Throwable failure) {
      lastTaskEndNanos = System.nanoTime();
      // A task's failure stays in its future, which nobody reads for execute and schedule (a
      // batch's retry, say): logged here, for every task alike.
      if (task instanceof java.util.concurrent.Future<?> done && done.isDone() && !done.isCancelled()) {
        try {
          done.get();
        } catch (java.util.concurrent.ExecutionException e) {
          log.error("a loop task failed", e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** Feeds one input to the sequencer on the loop thread and carries out its effects. */
  public void input(Function<Sequencer, List<Effect>> input) {
    execute(() -> runner.apply(input));
  }

  /**
   * As {@link #input}, for a region stream's message: counted in {@link #regionMessagesQueued} until
   * it is taken up, then {@code afterwards} runs whatever the input did.
   */
  void regionInput(Function<Sequencer, List<Effect>> input, Runnable afterwards) {
    regionMessagesQueued.incrementAndGet();
    if (!offer(() -> {
      regionMessagesQueued.decrementAndGet();
      try {
        runner.apply(input);
      } finally {
        afterwards.run();
      }
    })) {
      regionMessagesQueued.decrementAndGet(); // the node is stopping: nothing will take it up
    }
  }

  /** Region streams' messages queued for the loop and not yet taken up. Safe from any thread. */
  int regionMessagesQueued() {
    return regionMessagesQueued.get();
  }

  /** Feeds one input now; only from a task already running on the loop thread. */
  void inputNow(Function<Sequencer, List<Effect>> input) {
    runner.apply(input);
  }

  /** Tasks waiting for the loop thread: region messages, store callbacks, timers. */
  public int queuedTasks() {
    return thread.getQueue().size();
  }

  /** Reads sequencer state on the loop thread; fails while the node does not lead. */
  @Override
  public <T> CompletableFuture<T> query(Function<Sequencer, T> query) {
    return CompletableFuture.supplyAsync(() -> runner.query(query), thread);
  }

  /** A region stream the adapters ended for breaking the protocol (the sequencer's own cut-offs count themselves). */
  void regionCutOff() {
    metrics.regionCutOff();
  }

  /** Runs an adapter task on the loop thread, in order with the sequencer's inputs. */
  public void execute(Runnable task) {
    // the node is stopping: late stream callbacks have nothing left to update
    if (!offer(task)) log.debug("loop stopped; dropped a late task");
  }

  /** As {@link #execute}, saying whether the loop took the task: false once the node is stopping. */
  public boolean offer(Runnable task) {
    try {
      thread.execute(task);
      return true;
    } catch (RejectedExecutionException stopped) {
      return false;
    }
  }

  /** The loop thread as a scheduler, as the runners get it (tests). */
  LoopScheduler scheduler() {
    return new ThreadScheduler();
  }

  /** The loop thread as the runner's scheduler. */
  private final class ThreadScheduler implements LoopScheduler {
    @Override
    public void execute(Runnable task) {
      SequencerLoop.this.execute(task);
    }

    @Override
    public Timer schedule(Runnable task, long delayMs) {
      var future = thread.schedule(task, delayMs, TimeUnit.MILLISECONDS);
      return () -> future.cancel(false);
    }

    @Override
    public Timer every(Runnable task, long periodMs) {
      // A periodic task that throws is cancelled by the executor for good: log the failure (its
      // stack the first time only: a tick runs every few ms), keep the timer.
      var failed = new java.util.concurrent.atomic.AtomicBoolean();
      Runnable kept = () -> {
        try {
          task.run();
        } catch (RuntimeException e) {
          if (failed.compareAndSet(false, true)) {
            log.error("periodic task failed; it runs again every {} ms", periodMs, e);
          } else {
            log.error("periodic task failed again error=\"{}\"", e.toString());
          }
        }
      };
      var future = thread.scheduleWithFixedDelay(kept, periodMs, periodMs, TimeUnit.MILLISECONDS);
      return () -> future.cancel(false);
    }

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }
  }

  /** Effects as messages on the region streams, outcomes as metrics. */
  private final class Outlet implements SequencerRunner.Outlet {
    @Override
    public void carryOut(Effect effect) {
      switch (effect) {
        case Effect.PersistBatch p -> throw new IllegalStateException("the runner persists batches itself: " + p);
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
        case Effect.RegionExclusion x -> log.warn("source={} excluded={}: {}", x.region(), x.excluded(), x.message());
        case Effect.RegionNodeForgotten f -> log.info("source={}: {}", f.source(), f.message());
        // The event leaves the live index only once its orders are settled (a new leader must load them).
        case Effect.EventFinished f -> {
          if (orders == null) finishedListener.accept(f.eventId());
          else orders.saleEnded(f.eventId(), () -> finishedListener.accept(f.eventId()));
        }
        case Effect.PersistAuctionClose c -> throw new IllegalStateException("the runner persists auction closes itself: " + c);
        case Effect.AnnounceAuctionClose a -> sessions.announceAuctionClose(a.close());
        case Effect.AuctionStandingChanged a -> sessions.announceAuctionStanding(a.eventId(), a.standing());
        case Effect.WelcomeRegionNode w -> sessions.welcome(w.source(), w.stampFloorMicros());
        case Effect.RecordRegionNode r -> throw new IllegalStateException("the runner records region nodes itself: " + r);
        case Effect.ForgetRegionNode f -> throw new IllegalStateException("the runner forgets region nodes itself: " + f);
      }
    }

    @Override
    public void fenced(long epoch) {
      metrics.fenced();
      fencedListener.accept(epoch);
    }

    @Override
    public void diverged(long epoch) {
      metrics.diverged();
      fencedListener.accept(epoch); // the same hand-over: step down, let a rebuilt leader take it
    }

    @Override
    public void persisted(DecisionBatch batch, long elapsedNanos, long nowMicros) {
      metrics.batchPersisted(batch, elapsedNanos, nowMicros);
      if (orders != null) orders.decided(batch.eventId(), batch.decisions()); // before they are told
    }

    @Override
    public void refused() {
      metrics.batchRefused();
    }

    @Override
    public void persistFailed() {
      metrics.persistFailed();
    }

    @Override
    public boolean holdsLease() {
      return sessions.admitting();
    }
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
