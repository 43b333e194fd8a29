package flashsale.store.modes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.store.BuyReply;
import flashsale.store.testing.RedisServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node whose pool store is down when it starts still starts (an arbiter takes over even while
 * one region's shard Redis is away): calls fail at once with the reason, and work once the store
 * answers.
 */
class RedisPoolStoreUnreachableTest {
  static final long START = 1_767_225_600_000_000L;
  static final EventSpec SPEC = new EventSpec("e", "shoes", 2, START, START + 3_600_000_000L, 1, List.of("near"),
      SaleMode.CENTRAL, 7, Map.of());

  @Test
  void aStoreDownAtStartIsTriedAgainAndCallsFailAtOnceMeanwhile() throws Exception {
    try (RedisServer redis = RedisServer.start()) {
      redis.stop();
      RedisPoolStore store = new RedisPoolStore(redis.uri()); // does not throw
      try {
        long askedNanos = System.nanoTime();
        CompletionException down = assertThrows(CompletionException.class,
            () -> store.buyCentral(SPEC, new Ticket("e", "r1", "ann", 1, "near", START + 1)).join());
        assertTrue(System.nanoTime() - askedNanos < TimeUnit.MILLISECONDS.toNanos(500), "failed at once");
        assertTrue(down.getCause().getMessage().contains("not reached yet"), down.getCause().getMessage());

        redis.restart();
        long giveUpNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        BuyReply reply = null;
        while (reply == null) {
          try {
            reply = store.buyCentral(SPEC, new Ticket("e", "r1", "ann", 1, "near", START + 1)).join();
          } catch (CompletionException stillDown) {
            assertTrue(System.nanoTime() < giveUpNanos, "never reconnected: " + stillDown.getCause().getMessage());
            Thread.sleep(100); // waiting for the store's retry, not timing it
          }
        }
        assertEquals(flashsale.sale.Outcome.WON, ((BuyReply.Decided) reply).decision().outcome());
      } finally {
        store.close();
      }
    }
  }

  /**
   * A store that answers but refuses to load the library for now (out of memory here; a server
   * still loading its data answers LOADING the same way) is a store not reached yet, not a wrong
   * server: the node starts, and the store is used once the load succeeds.
   */
  @Test
  void aLibraryLoadRefusedForNowIsTriedAgainNotTakenForAWrongServer() throws Exception {
    try (RedisServer redis = RedisServer.start();
        var client = io.lettuce.core.RedisClient.create(redis.uri());
        var admin = client.connect()) {
      admin.sync().functionFlush(io.lettuce.core.FlushMode.SYNC);
      admin.sync().configSet("maxmemory", "1");
      RedisPoolStore store = new RedisPoolStore(redis.uri()); // does not throw
      try {
        CompletionException refused = assertThrows(CompletionException.class,
            () -> store.buyCentral(SPEC, new Ticket("e", "r1", "ann", 1, "near", START + 1)).join());
        assertTrue(refused.getCause().getMessage().contains("not reached yet"), refused.getCause().getMessage());
        assertTrue(refused.getCause().getMessage().contains("OOM"), refused.getCause().getMessage());

        admin.sync().configSet("maxmemory", "0");
        long giveUpNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        BuyReply reply = null;
        while (reply == null) {
          try {
            reply = store.buyCentral(SPEC, new Ticket("e", "r1", "ann", 1, "near", START + 1)).join();
          } catch (CompletionException stillRefused) {
            assertTrue(System.nanoTime() < giveUpNanos, "never loaded: " + stillRefused.getCause().getMessage());
            Thread.sleep(100); // waiting for the store's retry, not timing it
          }
        }
        assertEquals(flashsale.sale.Outcome.WON, ((BuyReply.Decided) reply).decision().outcome());
      } finally {
        store.close();
      }
    }
  }
}
