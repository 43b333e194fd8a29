package flashsale.arbiter.cluster;

import java.util.concurrent.CompletionStage;

/**
 * The single leader lease the arbiters compete for. Calls return at once; their replies complete
 * later (within the implementation's call timeout, exceptionally on a store error), so the thread
 * that renews never waits on the store.
 */
public interface LeaderLease extends AutoCloseable {

  /** Acquires the lease if nobody (or this very process) holds it, under a new, higher epoch. */
  CompletionStage<LeaseView> tryAcquire();

  /** Extends the lease held under {@code epoch}; false when this node no longer holds it. */
  CompletionStage<Boolean> renew(long epoch);

  /** Gives the lease up at once (graceful stop), so a standby need not wait for it to expire. Blocks. */
  void release(long epoch);

  @Override
  void close();
}
