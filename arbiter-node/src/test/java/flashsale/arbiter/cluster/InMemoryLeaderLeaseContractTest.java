package flashsale.arbiter.cluster;

import java.util.concurrent.TimeUnit;

/** {@link LeaderLeaseContract} on {@link InMemoryLeaderLease}, the lease other tests compete for, on a fake clock. */
class InMemoryLeaderLeaseContractTest extends LeaderLeaseContract {
  private long nowMs;
  private final InMemoryLeaderLease.Table table =
      new InMemoryLeaderLease.Table(() -> TimeUnit.MILLISECONDS.toNanos(nowMs));

  @Override
  LeaderLease newLease(String nodeId, String advertise, LeaseSettings settings) {
    return table.contender(advertise, settings);
  }

  @Override
  void elapse(long ms) {
    nowMs += ms;
  }
}
