package flashsale.arbiter.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.store.ReplicaAcks;
import flashsale.store.StoreNotReplicatedException;
import flashsale.store.testing.RedisReplicated;
import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * With replica acknowledgements, an acquired epoch counts only once the replica holds it: a primary
 * that fails over first would hand the same epoch to the next leader, and epoch fencing could not
 * tell the two leaders' writes apart. Real primary and replica processes.
 */
class RedisLeaderLeaseReplicaAcksTest {
  /** A ttl far above the polls below, so only a release (not expiry) can remove the lease in time. */
  private static final LeaseSettings SETTINGS = new LeaseSettings(3_000, 750);
  private static final ReplicaAcks ONE_REPLICA = new ReplicaAcks(1, Duration.ofMillis(300));

  @Test
  void anEpochThePrimaryLosesInAFailoverIsNeverLedUnder() throws Exception {
    try (RedisReplicated redis = RedisReplicated.start();
        var first = new RedisLeaderLease(redis.primaryUri(), "first", "first:1", SETTINGS, ONE_REPLICA)) {
      LeaseView led = first.tryAcquire(0).toCompletableFuture().join();
      assertTrue(led.mine(), "acquired while the replica keeps up");

      redis.cutReplica();
      // Re-acquiring our own lease takes a new epoch; the primary issues it, the replica never hears of it.
      CompletionException refused = assertThrows(CompletionException.class,
          () -> first.tryAcquire(0).toCompletableFuture().join());
      assertInstanceOf(StoreNotReplicatedException.class, refused.getCause());
      long issuedOnPrimary = Long.parseLong(get(redis.primaryUri(), RedisLeaderLease.EPOCH_KEY));
      assertEquals(led.epoch() + 1, issuedOnPrimary, "the primary issued the next epoch before the wait failed");
      // ... and the lease it was not led under is given back, so a node whose waits succeed can take it.
      // (Polled well within the ttl of 3 s that the re-acquire set 300 ms ago, so expiry cannot pass for a release.)
      long deadline = System.nanoTime() + Duration.ofMillis(300).toNanos();
      while (exists(redis.primaryUri(), RedisLeaderLease.LEASE_KEY) && System.nanoTime() < deadline) Thread.sleep(10);
      assertFalse(exists(redis.primaryUri(), RedisLeaderLease.LEASE_KEY), "the unreplicated lease was released");

      redis.failOver();
      try (var second = new RedisLeaderLease(redis.replicaUri(), "second", "second:1", SETTINGS, ReplicaAcks.NONE)) {
        LeaseView next = acquireWithin(second, Duration.ofSeconds(8));
        // The promoted replica issues the lost epoch again: only the second node ever led under it.
        assertEquals(issuedOnPrimary, next.epoch());
      }
    }
  }

  private static LeaseView acquireWithin(RedisLeaderLease lease, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      LeaseView view = lease.tryAcquire(0).toCompletableFuture().join();
      if (view.mine()) return view;
      if (System.nanoTime() > deadline) throw new AssertionError("not acquired within " + limit + ": " + view);
      Thread.sleep(100); // the first node's lease runs out its ttl on the promoted replica
    }
  }

  private static boolean exists(String uri, String key) {
    RedisClient client = RedisClient.create(uri);
    try (var connection = client.connect()) {
      return connection.sync().exists(key) > 0;
    } finally {
      client.shutdown();
    }
  }

  private static String get(String uri, String key) {
    RedisClient client = RedisClient.create(uri);
    try (var connection = client.connect()) {
      return connection.sync().get(key);
    } finally {
      client.shutdown();
    }
  }
}
