package flashsale.arbiter.cluster;

import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.grpc.EventAdminGrpcService;
import flashsale.arbiter.grpc.EventRegistry;
import flashsale.arbiter.grpc.SequencerLoop;
import flashsale.sale.EventSpec;
import flashsale.store.ArbiterStore;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a newly elected leader does before it serves, on a thread of its own so the lease keeps
 * being renewed meanwhile: a fresh sequencer for the term, then every live event (the store's
 * live index; finished events are never read) claimed under the term's epoch and loaded from its
 * head, then the gate opens and the node reports SERVING. A term that ends mid-way stops at the
 * next event and never opens the gate.
 */
public final class Takeover implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Takeover.class);

  private final ArbiterStore store;
  private final SequencerLoop loop;
  private final EventRegistry events;
  private final EventAdminGrpcService admin;
  private final LeaderGate gate;
  private final Supplier<Sequencer> sequencers;
  private Consumer<Boolean> serving = up -> {};
  private LongConsumer failed = epoch -> {};
  private final ExecutorService thread = Executors.newSingleThreadExecutor(
      r -> Thread.ofPlatform().daemon().name("takeover").unstarted(r));
  /** The epoch being recovered or led; 0 when none. */
  private final AtomicLong currentEpoch = new AtomicLong();

  public Takeover(ArbiterStore store, SequencerLoop loop, EventRegistry events, EventAdminGrpcService admin,
      LeaderGate gate, Supplier<Sequencer> sequencers) {
    this.store = store;
    this.loop = loop;
    this.events = events;
    this.admin = admin;
    this.gate = gate;
    this.sequencers = sequencers;
  }

  /** Told true once the node leads with its state loaded, false when it stops. */
  public void onServing(Consumer<Boolean> listener) {
    this.serving = listener;
  }

  /** Told the epoch whose recovery failed: the node must step down from it. */
  public void onFailed(LongConsumer listener) {
    this.failed = listener;
  }

  /** Starts recovering for {@code epoch} and returns at once. */
  public void begin(long epoch) {
    currentEpoch.set(epoch);
    thread.execute(() -> recover(epoch));
  }

  /** The term ended: a recovery under way stops; the caller closes the gate afterwards. */
  public synchronized void end() {
    currentEpoch.set(0);
    serving.accept(false);
  }

  /** Opens the gate unless the term ended meanwhile (then {@link #end} ran first, or runs after and the gate closes). */
  private synchronized boolean openIfStill(long epoch) {
    if (currentEpoch.get() != epoch) return false;
    gate.open();
    serving.accept(true);
    return true;
  }

  private void recover(long epoch) {
    long startNanos = System.nanoTime();
    try {
      if (currentEpoch.get() != epoch) return;
      events.clear(); // what an earlier, interrupted recovery may have left
      loop.lead(sequencers.get(), epoch).join();
      int count = 0;
      for (EventSpec spec : store.listLiveEvents()) {
        if (currentEpoch.get() != epoch) return;
        // Claim before reading: once fenced, no earlier leader can add to what we load.
        store.fenceEvent(spec.eventId(), epoch);
        admin.register(spec).join();
        count++;
      }
      if (!openIfStill(epoch)) return;
      log.info("leading epoch={} liveEvents={} recoverMs={}", epoch, count, (System.nanoTime() - startNanos) / 1_000_000);
    } catch (RuntimeException e) {
      log.error("recovery failed epoch={}: {}", epoch, e.toString());
      if (currentEpoch.get() == epoch) failed.accept(epoch);
    }
  }

  @Override
  public void close() {
    currentEpoch.set(0);
    thread.shutdownNow();
  }
}
