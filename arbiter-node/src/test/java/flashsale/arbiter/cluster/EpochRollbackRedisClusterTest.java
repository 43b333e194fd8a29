package flashsale.arbiter.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.store.ArbiterStore;
import flashsale.store.Sales;
import flashsale.store.StoreFencedException;
import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.redis.RedisConnection;
import flashsale.store.testing.RedisCluster;
import io.lettuce.core.codec.StringCodec;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The epoch counter rolled back, as an asynchronous failover of its master would (the last INCR
 * and the lease lost), on a real cluster: the next leader is handed the deposed leader's epoch
 * again, its recovery meets an event that epoch already holds, it steps down and takes an epoch
 * above it; the old leader's writes are fenced from then on. Recovery here does what
 * {@link LeaderRole} does: claim each live event, report a {@link StoreFencedException} as fenced.
 */
class EpochRollbackRedisClusterTest {
  static final LeaseSettings SETTINGS = new LeaseSettings(400, 100);

  @Test
  void aRepeatedEpochNeverWritesAndTheNextTermGoesAboveIt() throws Exception {
    try (RedisCluster cluster = RedisCluster.start();
        ArbiterStore oldStore = new RedisArbiterStore(cluster.uri());
        ArbiterStore newStore = new RedisArbiterStore(cluster.uri());
        var oldLease = new RedisLeaderLease(cluster.uri(), "old", "10.0.0.1:1", SETTINGS);
        var raw = RedisConnection.open(cluster.uri(), StringCodec.UTF8, null, false)) {
      long oldEpoch = oldLease.tryAcquire(0).toCompletableFuture().join().epoch();
      oldStore.createEvent("c", Sales.event("e1", 10, 5));
      oldStore.fenceEvent("e1", oldEpoch);
      oldStore.persistBatch(Sales.batch("e1", 1, 1).win("r1", "u1", 1).build(), oldEpoch).get(5, TimeUnit.SECONDS);

      // The failover lost the lease and the last increment: the counter is one behind.
      raw.async().del(RedisLeaderLease.LEASE_KEY).toCompletableFuture().join();
      raw.async().set(RedisLeaderLease.EPOCH_KEY, Long.toString(oldEpoch - 1)).toCompletableFuture().join();

      List<Long> elected = new CopyOnWriteArrayList<>();
      List<String> deposed = new CopyOnWriteArrayList<>();
      LinkedBlockingQueue<Long> leading = new LinkedBlockingQueue<>();
      try (var newLeadership = new Leadership(new RedisLeaderLease(cluster.uri(), "new", "10.0.0.2:2", SETTINGS),
          SETTINGS, new Leadership.Listener() {
            @Override
            public void elected(Leadership.Term term) {
              elected.add(term.epoch());
              try {
                for (var spec : newStore.listLiveEvents()) newStore.fenceEvent(spec.eventId(), term.epoch());
                term.recovered();
              } catch (StoreFencedException e) {
                term.fencedBy(e.claimedEpoch(), e.getMessage());
              }
            }

            @Override
            public void leading(long epoch) {
              leading.add(epoch);
            }

            @Override
            public void deposed(String why, String leaderAddress) {
              deposed.add(why);
            }
          })) {
        newLeadership.start();
        Long newEpoch = leading.poll(10, TimeUnit.SECONDS);
        assertTrue(newEpoch != null, "the new node never led; elected " + elected + ", deposed " + deposed);
        assertEquals(List.of(oldEpoch, oldEpoch + 1), elected, "handed the old epoch again first, then one above");
        assertTrue(deposed.get(0).contains("claimed by another writer"), deposed.toString());
        assertEquals(oldEpoch + 1, newEpoch);

        ExecutionException stale = assertThrows(ExecutionException.class, () -> oldStore.persistBatch(
            Sales.batch("e1", 2, 2).win("r2", "u2", 1).build(), oldEpoch).get(5, TimeUnit.SECONDS));
        assertInstanceOf(StoreFencedException.class, stale.getCause());
        newStore.persistBatch(Sales.batch("e1", 2, 2).win("r3", "u3", 1).build(), newEpoch).get(5, TimeUnit.SECONDS);
        assertEquals(8, newStore.loadHead("e1").remainingStock());
      }
    }
  }
}
