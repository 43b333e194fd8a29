package flashsale.arbiter.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.sale.Partitions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two partitions' leaderships of one node sharing a {@link LeaseQuota}, ticked by hand against
 * leases that grant at once: a node takes partitions up to its fair share only, gives the extra up
 * when another arbiter joins, and takes more again when it is alone.
 */
class LeaseQuotaLeadershipTest {
  private static final LeaseSettings SETTINGS = new LeaseSettings(1_000, 250);
  private long nowMs;
  private final LeaseQuota quota = new LeaseQuota(new Partitions(2));
  private final List<GrantingLease> leases = List.of(new GrantingLease(), new GrantingLease());
  private final List<Leadership> leaderships = new ArrayList<>();

  LeaseQuotaLeadershipTest() {
    DirectScheduler thread = new DirectScheduler();
    for (int p = 0; p < 2; p++) {
      leaderships.add(new Leadership(leases.get(p), SETTINGS, new Leadership.Listener() {
        @Override
        public void elected(Leadership.Term won) {
          won.recovered();
        }

        @Override
        public void leading(long epoch) {}

        @Override
        public void deposed(String why, String leaderAddress) {}
      }, () -> TimeUnit.MILLISECONDS.toNanos(nowMs), thread, quota, p));
    }
  }

  @Test
  void aNodeTakesItsShareGivesTheExtraUpWhenAnotherJoinsAndTakesItBackAlone() {
    tickAllAt(0);
    assertEquals(List.of(LeaderState.LEADING, LeaderState.LEADING), states(), "alone: both partitions");
    assertEquals(2, quota.held());

    quota.liveArbiters(2); // a second arbiter joined: share 1 of 2
    tickAllAt(250);
    assertEquals(List.of(LeaderState.STANDBY, LeaderState.LEADING), states(), "the first one ticked gives its lease up");
    assertEquals(List.of(1L), leases.get(0).released, "its lease is released so the newcomer takes it at once");
    assertEquals(1, quota.held());

    tickAllAt(500);
    assertEquals(1, leases.get(0).acquires, "at its share the node does not compete for the freed partition");
    assertEquals("10.0.0.2:9090", leaderships.get(0).leaderAddress(), "but it names the partition's holder to callers");
    assertEquals(List.of(LeaderState.STANDBY, LeaderState.LEADING), states());

    quota.liveArbiters(1); // the other arbiter dropped off the roster
    tickAllAt(750);
    assertEquals(List.of(LeaderState.LEADING, LeaderState.LEADING), states(), "alone again: both");
    assertEquals(2, leases.get(0).acquires);
    assertEquals(2, quota.held());
  }

  @Test
  void aPartitionThatLosesItsLeaseFreesItsPlaceInTheShare() {
    quota.liveArbiters(2);
    tickAllAt(0);
    assertEquals(List.of(LeaderState.LEADING, LeaderState.STANDBY), states(), "share 1: the second does not compete");
    leases.get(0).mine = false; // renewal answered "not yours": another node took partition 0
    tickAllAt(250);
    assertEquals(List.of(LeaderState.STANDBY, LeaderState.LEADING), states(), "the freed place goes to the other partition");
    assertEquals(1, quota.held());
    tickAllAt(500);
    assertEquals(1, leases.get(0).acquires, "at its share again: partition 0 is not competed for");
  }

  private void tickAllAt(long ms) {
    nowMs = ms;
    leaderships.forEach(Leadership::tick);
  }

  private List<LeaderState> states() {
    return leaderships.stream().map(Leadership::state).toList();
  }

  /** Grants every acquire under the next epoch and renews while {@link #mine}. */
  private static final class GrantingLease implements LeaderLease {
    long epoch;
    int acquires;
    boolean mine = true;
    final List<Long> released = new ArrayList<>();

    @Override
    public CompletionStage<LeaseView> tryAcquire(long epochFloor) {
      acquires++;
      return CompletableFuture.completedFuture(new LeaseView(true, ++epoch, "127.0.0.1:1"));
    }

    @Override
    public CompletionStage<Boolean> renew(long epoch) {
      return CompletableFuture.completedFuture(mine);
    }

    @Override
    public CompletionStage<LeaseView> holder() {
      return CompletableFuture.completedFuture(new LeaseView(false, epoch + 1, "10.0.0.2:9090"));
    }

    @Override
    public void release(long epoch) {
      released.add(epoch);
    }

    @Override
    public CompletionStage<Void> releaseAsync(long epoch) {
      release(epoch);
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {}
  }
}
