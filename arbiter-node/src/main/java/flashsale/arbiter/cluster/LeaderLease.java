package flashsale.arbiter.cluster;

/** The single leader lease the arbiters compete for. Implementations are called from one thread. */
public interface LeaderLease extends AutoCloseable {

  /** Acquires the lease if nobody (or this very process) holds it, under a new, higher epoch. */
  LeaseView tryAcquire();

  /** Extends the lease held under {@code epoch}; false when this node no longer holds it. */
  boolean renew(long epoch);

  /** Gives the lease up at once (graceful stop), so a standby need not wait for it to expire. */
  void release(long epoch);

  @Override
  void close();
}
