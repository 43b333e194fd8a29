package flashsale.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.store.redis.RedisConnection;
import flashsale.store.testing.RedisCluster;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * The connection replica waits use (pinned routing: no redirect followed, no periodic topology
 * read) after a slot moved with no connection dropped, as a reshard or a replica's
 * {@code CLUSTER FAILOVER} moves one: a call fails with MOVED once, and the retries go where the
 * slot is now. Before, every call to the slot failed with MOVED until the process restarted.
 */
class PinnedRoutingRedirectTest {
  @Test
  void aSlotMovedUnderAPinnedConnectionIsFollowedOnceACallFailed() throws Exception {
    try (RedisCluster cluster = RedisCluster.start();
        RedisConnection<String> connection = RedisConnection.open(cluster.uri(), StringCodec.UTF8, Duration.ofSeconds(2),
            false, true)) {
      String key = "pinned-0";
      for (int n = 0; SlotHash.getSlot(key) >= 100; n++) key = "pinned-" + n; // slots 0-99 move
      connection.async().set(key, "before").toCompletableFuture().join();
      int to = RedisCluster.masterOfSlot(16_383);
      cluster.moveSlots(RedisCluster.masterOfSlot(0), to, 100);

      int movedReplies = 0;
      String value = null;
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (value == null && System.nanoTime() < deadline) {
        try {
          value = connection.async().get(key).toCompletableFuture().join();
        } catch (CompletionException e) {
          assertTrue(e.getCause().getMessage().startsWith("MOVED"), e.getCause().toString());
          movedReplies++;
          Thread.sleep(50);
        }
      }
      assertEquals("before", value, "read where the slot is now, within 5 s (" + movedReplies + " MOVED replies)");
      assertEquals("1", cluster.cliOn(to, "exists", key).strip());
    }
  }
}
