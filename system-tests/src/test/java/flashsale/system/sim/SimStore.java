package flashsale.system.sim;

import flashsale.sale.DecisionBatch;
import flashsale.sale.Partition;
import flashsale.store.testing.ForwardingArbiterStore;
import flashsale.store.memory.InMemoryArbiterStore;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * The contract-tested {@link InMemoryArbiterStore} behind a simulated connection: a batch write
 * reaches the store after a delay and its reply comes back after another, and either leg may be
 * lost (the caller sees a timeout; a lost reply means the write did happen). Everything else
 * goes straight to the store. The oracle sees every write the store accepted.
 */
final class SimStore extends ForwardingArbiterStore {
  private final SimScheduler scheduler;
  private final Random random;
  private final SimOracle oracle;
  /** Out of 1000 writes, how many lose their request or their reply. */
  private final int lossPerMille;
  /** The store itself, for the order store beside it (which shares its events and fencing). */
  final InMemoryArbiterStore memory;

  SimStore(SimScheduler scheduler, Random random, SimOracle oracle, int lossPerMille) {
    super(new InMemoryArbiterStore());
    this.scheduler = scheduler;
    this.random = random;
    this.oracle = oracle;
    this.lossPerMille = lossPerMille;
    this.memory = (InMemoryArbiterStore) delegate;
  }

  @Override
  public CompletableFuture<Void> persistBatch(DecisionBatch batch, long fencingEpoch) {
    CompletableFuture<Void> reply = new CompletableFuture<>();
    long timeoutMicros = 5_000;
    if (random.nextInt(1000) < lossPerMille) {
      oracle.count("store requests lost");
      scheduler.after(timeoutMicros, () -> reply.completeExceptionally(new TimeoutException("store request lost")));
      return reply;
    }
    scheduler.after(50 + random.nextLong(1_500), () -> {
      CompletableFuture<Void> written = delegate.persistBatch(batch, fencingEpoch);
      if (!written.isCompletedExceptionally()) oracle.persisted(batch, fencingEpoch);
      if (random.nextInt(1000) < lossPerMille) {
        oracle.count("store replies lost");
        scheduler.after(timeoutMicros, () -> reply.completeExceptionally(new TimeoutException("store reply lost")));
        return;
      }
      scheduler.after(50 + random.nextLong(1_500), () -> written.whenComplete((ok, e) -> {
        if (e == null) reply.complete(null);
        else reply.completeExceptionally(e);
      }));
    });
    return reply;
  }

  /**
   * When the last region-node write of each leader's term lands: a leader writes on its own
   * connection, so its writes land in the order sent, but not in order with another leader's.
   */
  private final Map<Long, Long> nodeWriteLandsMicros = new HashMap<>();

  /** A region node's record lands after a store round trip, or its request is lost (the leader retries). */
  @Override
  public CompletableFuture<Void> recordRegionNode(Partition partition, String source, long fencingEpoch) {
    return nodeWrite(fencingEpoch, () -> {
      delegate.recordRegionNode(partition, source, fencingEpoch);
      oracle.nodeRecordLanded(fencingEpoch, source);
    });
  }

  @Override
  public CompletableFuture<Void> forgetRegionNode(Partition partition, String source, long fencingEpoch) {
    return nodeWrite(fencingEpoch, () -> {
      delegate.forgetRegionNode(partition, source, fencingEpoch);
      oracle.nodeForgetLanded(fencingEpoch, source);
    });
  }

  private CompletableFuture<Void> nodeWrite(long fencingEpoch, Runnable write) {
    CompletableFuture<Void> reply = new CompletableFuture<>();
    if (random.nextInt(1000) < lossPerMille) {
      oracle.count("store requests lost");
      scheduler.after(5_000, () -> reply.completeExceptionally(new TimeoutException("store request lost")));
      return reply;
    }
    // Now and then a connection stalls (a retransmit, a GC pause) for up to 50 ms.
    long delayMicros = 50 + random.nextLong(1_500) + (random.nextInt(100) == 0 ? random.nextLong(50_000) : 0);
    long landsMicros = Math.max(nodeWriteLandsMicros.getOrDefault(fencingEpoch, 0L) + 1, scheduler.nowMicros() + delayMicros);
    nodeWriteLandsMicros.put(fencingEpoch, landsMicros);
    scheduler.at(landsMicros, () -> {
      write.run();
      scheduler.after(50 + random.nextLong(1_500), () -> reply.complete(null));
    });
    return reply;
  }

  @Override
  public CompletableFuture<Void> persistAuctionClose(flashsale.sale.AuctionClose close, long fencingEpoch) {
    CompletableFuture<Void> written = delegate.persistAuctionClose(close, fencingEpoch);
    if (!written.isCompletedExceptionally()) oracle.auctionClosed(close);
    return written;
  }
}
