package flashsale.arbiter.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.store.ReplicaAcks;
import flashsale.store.testing.RedisServerExtension;
import io.lettuce.core.RedisClient;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The leases of all partitions of one arbiter share one Redis connection, opened with the first and
 * closed with the last: a client per partition was a set of threads per partition. Each lease still
 * elects on its own keys.
 */
class PartitionLeasesTest {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();
  private static final LeaseSettings SETTINGS = new LeaseSettings(2_000, 500);
  private static final int PARTITIONS = 8;

  @Test
  void eightPartitionsShareOneConnectionThatClosesWithTheLastLease() {
    long before = connectedClients();
    IntFunction<LeaderLease> open = RedisLeaderLease.partitionLeases(REDIS.uri(), "a1", "a1:9090", SETTINGS, ReplicaAcks.NONE);
    List<LeaderLease> leases = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) leases.add(open.apply(p));
    for (int p = 0; p < PARTITIONS; p++) {
      LeaseView view = leases.get(p).tryAcquire(0).toCompletableFuture().join();
      assertTrue(view.mine(), "partition " + p + " acquired on its own keys");
      assertEquals(1, view.epoch(), "partition " + p + " counts its own epochs");
    }
    assertEquals(before + 1, settledClients(before + 1), "one connection for " + PARTITIONS + " partitions");

    for (int p = 0; p < PARTITIONS - 1; p++) leases.get(p).close();
    LeaderLease last = leases.get(PARTITIONS - 1);
    assertTrue(last.renew(1).toCompletableFuture().join(), "the last lease still renews on the shared connection");
    last.close();
    assertEquals(before, settledClients(before), "closed with the last lease");
  }

  @Test
  void aLeaseClosedWhileItsAcquireIsInFlightGivesBackWhatItWins() {
    IntFunction<LeaderLease> open = RedisLeaderLease.partitionLeases(REDIS.uri(), "a1", "a1:9090", SETTINGS, ReplicaAcks.NONE);
    LeaderLease lease = open.apply(0);
    // Redis holds every client's commands for 1 s: the acquire is answered after the close. The pausing
    // connection stays open meanwhile, so nothing slow (a client's shutdown) runs between the pause and the close.
    LeaseView view = redis(c -> {
      c.sync().clientPause(1_000);
      var acquire = lease.tryAcquire(0).toCompletableFuture();
      lease.close();
      return acquire.join();
    });
    assertTrue(!view.mine() && view.epoch() > 0, "won on Redis after the close, reported not ours: " + view);
    assertEquals(0L, (long) redis(c -> c.sync().exists("fs:{arbiter-p0}:lease")), "and given back, not left for its ttl");
  }

  private static <T> T redis(java.util.function.Function<io.lettuce.core.api.StatefulRedisConnection<String, String>, T> call) {
    RedisClient client = RedisClient.create(REDIS.uri());
    try (var connection = client.connect()) {
      return call.apply(connection);
    } finally {
      client.shutdown();
    }
  }

  /** The count once it is {@code expected}, or as it stands after 2 s: Redis notices a closed connection a little later. */
  private static long settledClients(long expected) {
    long deadline = System.nanoTime() + 2_000_000_000L;
    long count = connectedClients();
    while (count != expected && System.nanoTime() < deadline) {
      Thread.onSpinWait();
      count = connectedClients();
    }
    return count;
  }

  /** Redis' count of connected clients, not counting the one asking. */
  private static long connectedClients() {
    String info = redis(c -> c.sync().info("clients"));
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("connected_clients:")) return Long.parseLong(line.substring(18).strip()) - 1;
    }
    throw new AssertionError("no connected_clients in " + info);
  }
}
