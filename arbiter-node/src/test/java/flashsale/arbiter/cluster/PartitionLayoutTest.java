package flashsale.arbiter.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.store.testing.RedisServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Arbiters of one Redis agree on their partition count: another count is refused while one lives, and taken once none does. */
class PartitionLayoutTest {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();
  /** The count lives 3 ttls (600 ms) past the last refresh. */
  private static final LeaseSettings FAST = new LeaseSettings(200, 50);

  @Test
  void anotherCountIsRefusedWhileTheFirstHoldsAndTheSameCountIsWelcome() {
    assertNull(PartitionLayout.claimAtStart(REDIS.uri(), 4, FAST));
    String refusal = PartitionLayout.claimAtStart(REDIS.uri(), 1, FAST);
    assertNotNull(refusal);
    assertTrue(refusal.contains("run with --partitions 4, this one with 1"), refusal);
    assertNull(PartitionLayout.claimAtStart(REDIS.uri(), 4, FAST));
  }

  @Test
  void theCountLapsesOnceNoArbiterKeepsItAlive() throws InterruptedException {
    assertNull(PartitionLayout.claimAtStart(REDIS.uri(), 4, FAST));
    Thread.sleep(900);
    assertNull(PartitionLayout.claimAtStart(REDIS.uri(), 1, FAST), "the count of arbiters long gone still held");
  }

  @Test
  void aSingleLeaseKeepsCountOneAliveAndARosterItsCount() throws Exception {
    try (RedisLeaderLease lease = new RedisLeaderLease(REDIS.uri(), "a1", "127.0.0.1:1", FAST)) {
      assertNull(PartitionLayout.claimAtStart(REDIS.uri(), 1, FAST));
      for (int tick = 0; tick < 30; tick++) { // 1.5 s, well past the 600 ms the claim alone lives
        lease.tryAcquire(0).toCompletableFuture().join();
        Thread.sleep(50);
      }
      assertNotNull(PartitionLayout.claimAtStart(REDIS.uri(), 4, FAST), "a live single leader's count lapsed");
    }
    Thread.sleep(900);
    try (RedisArbiterRoster roster = new RedisArbiterRoster(REDIS.uri(), "a2", FAST, 4)) {
      for (int tick = 0; tick < 30; tick++) {
        assertEquals(1, roster.heartbeat().toCompletableFuture().join());
        Thread.sleep(50);
      }
      String refusal = PartitionLayout.claimAtStart(REDIS.uri(), 1, FAST);
      assertTrue(refusal != null && refusal.contains("--partitions 4"), "a live roster's count lapsed: " + refusal);
    }
  }
}
