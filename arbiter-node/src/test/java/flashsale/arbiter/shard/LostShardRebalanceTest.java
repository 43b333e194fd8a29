package flashsale.arbiter.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.shard.ShardDemand;
import flashsale.store.BuyReply;
import flashsale.store.PoolLostException;
import flashsale.store.ShardStore;
import flashsale.store.modes.RedisPoolStore;
import flashsale.store.testing.RedisServer;
import io.lettuce.core.RedisClient;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A rebalancer must not read a shard its store lost as untouched, at its full units, and move
 * those units to another region: once the region's reports said its shard was in use, a shard
 * found gone is lost. Two real Redis, the near one flushed mid-sale.
 */
class LostShardRebalanceTest {
  private static final long START = 1_767_225_600_000_000L;
  private static final EventSpec SPEC = new EventSpec("drop", "shoes", 6, START, START + 3_600_000_000L, 5,
      List.of("near", "far"), SaleMode.SHARDED, 7, Map.of("near", 5L, "far", 1L));

  private final RedisServer nearRedis = RedisServer.start();
  private final RedisServer farRedis = RedisServer.start();

  @AfterEach
  void stop() {
    nearRedis.close();
    farRedis.close();
  }

  @Test
  void aShardInUseThenLostIsNotStartedAgainByABorrow() throws Exception {
    assertNull(rebalanceAfterLoss(true), "the lost near shard was started again and lent from");
  }

  @Test
  void withoutTheRegionsWordTheLostShardReadsAsUntouched() throws Exception {
    // What the flag is for: the coordinator alone cannot tell a lost shard from an untouched one.
    assertEquals("5", rebalanceAfterLoss(false), "started again at its full 5 units");
  }

  /**
   * The near shard's {@code initial} after a far borrow that follows its loss and a takeover of the
   * rebalancing (a new coordinator, whose memory starts empty); null when not started again.
   */
  private String rebalanceAfterLoss(boolean nearSaysInUse) throws Exception {
    try (ShardStore nearRegion = new RedisPoolStore(nearRedis.uri()); ShardStore farRegion = new RedisPoolStore(farRedis.uri());
        RedisClient client = RedisClient.create(nearRedis.uri()); var c = client.connect()) {
      buy(nearRegion, "n1", "near");
      buy(nearRegion, "n2", "near");
      buy(farRegion, "f1", "far"); // far's one unit is gone
      c.sync().flushall(); // the near shard's Redis restarts empty

      try (var coordinator = new ShardCoordinator(ShardOptions.of(Map.of()), Map.of("near",
          new RedisPoolStore(nearRedis.uri()), "far", new RedisPoolStore(farRedis.uri())),
          id -> Optional.of(SPEC).filter(s -> s.eventId().equals(id)), Clock.systemUTC())) {
        coordinator.report("drop", new ShardDemand("near", 3, 0, 10), nearSaysInUse).get(10, TimeUnit.SECONDS);
        coordinator.report("drop", new ShardDemand("far", 0, 2, 100), true).get(10, TimeUnit.SECONDS); // far borrows
        if (nearSaysInUse) {
          try {
            coordinator.counters(SPEC).join();
            throw new AssertionError("counters of an event with a lost shard");
          } catch (CompletionException e) {
            assertTrue(PoolLostException.in(e).isPresent(), e.toString());
          }
        }
      }
      return c.sync().hget("fs:{drop}:shard:near", "initial");
    }
  }

  @Test
  void theEventsOtherShardsGoOnLendingToEachOther() throws Exception {
    RedisServer midRedis = RedisServer.start();
    EventSpec three = new EventSpec("trio", "shoes", 9, START, START + 3_600_000_000L, 5, List.of("near", "mid", "far"),
        SaleMode.SHARDED, 7, Map.of("near", 1L, "mid", 4L, "far", 4L)).withPoolsOpenedAtCreation(true);
    Map<String, String> uris = Map.of("near", nearRedis.uri(), "mid", midRedis.uri(), "far", farRedis.uri());
    try (RedisClient farClient = RedisClient.create(farRedis.uri()); var far = farClient.connect();
        RedisClient nearClient = RedisClient.create(nearRedis.uri()); var near = nearClient.connect()) {
      for (var region : uris.entrySet()) {
        try (RedisPoolStore store = new RedisPoolStore(region.getValue())) {
          store.openShard(three, region.getKey()).join();
        }
      }
      far.sync().flushall(); // far's shard Redis restarts empty
      try (var coordinator = new ShardCoordinator(ShardOptions.of(Map.of()), Map.of(
          "near", new RedisPoolStore(nearRedis.uri()), "mid", new RedisPoolStore(midRedis.uri()),
          "far", new RedisPoolStore(farRedis.uri())), id -> Optional.of(three).filter(s -> s.eventId().equals(id)),
          Clock.systemUTC())) {
        var account = coordinator.report("trio", new ShardDemand("near", 0, 3, 100), true).get(10, TimeUnit.SECONDS);
        long nearHolds = Long.parseLong(near.sync().hget("fs:{trio}:shard:near", "remaining"));
        assertTrue(nearHolds >= 3, "near borrowed what it waits for from mid: " + nearHolds + ", " + account);
        assertEquals(5, account.orElseThrow().remainingUnits(),
            "near's and mid's 5 units between them; far's 4 are neither for sale nor sold");
      }
      assertEquals(null, far.sync().hget("fs:{trio}:shard:far", "initial"), "far not started again");
    } finally {
      midRedis.close();
    }
  }

  private static void buy(ShardStore store, String requestId, String region) {
    BuyReply reply = store.buyShard(SPEC, new Ticket("drop", requestId, "user-" + requestId, 1, region, START + 1), true)
        .join();
    assertTrue(reply instanceof BuyReply.Decided, reply.toString());
  }
}
