package flashsale.arbiter.cluster;

import java.util.concurrent.CompletionStage;

/**
 * The single leader lease the arbiters compete for. Calls return at once; their replies complete
 * later (within the implementation's call timeout, exceptionally on a store error), so the thread
 * that renews never waits on the store.
 */
public interface LeaderLease extends AutoCloseable {

  /**
   * Acquires the lease if nobody (or this very process) holds it, under a new epoch higher than
   * any issued before and than {@code epochFloor} (the highest epoch this node saw holding an event:
   * the store's epoch counter may have been rolled back by a failover).
   */
  CompletionStage<LeaseView> tryAcquire(long epochFloor);

  /**
   * Who holds the lease, without competing for it: a standby at its fair share of partitions still
   * learns the holder, to name it to callers. {@code mine} is always false.
   */
  default CompletionStage<LeaseView> holder() {
    return java.util.concurrent.CompletableFuture.completedFuture(new LeaseView(false, 0, ""));
  }

  /** Extends the lease held under {@code epoch}; false when this node no longer holds it. */
  CompletionStage<Boolean> renew(long epoch);

  /** Gives the lease up at once (graceful stop), so a standby need not wait for it to expire. Blocks. */
  void release(long epoch);

  /** As {@link #release} without blocking: a leader giving a partition up to rebalance. */
  default CompletionStage<Void> releaseAsync(long epoch) {
    return java.util.concurrent.CompletableFuture.runAsync(() -> release(epoch));
  }

  @Override
  void close();
}
