package flashsale.store;

import static flashsale.store.ArbiterStoreContract.persist;
import static flashsale.store.Sales.batch;
import static flashsale.store.Sales.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.testing.RedisCluster;
import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.Test;

/**
 * A master added to a running cluster and given slots (events included): the store that was
 * connected all along goes on selling the moved event. lettuce's topology-change event loads the
 * library on the new master when it fires for it (not every time, measured below); a call that
 * finds the function missing loads it on every master and is retried, which always works.
 */
class RedisClusterTopologyTest {
  @Test
  void aMasterAddedLaterServesTheMovedEventsWithTheLibraryLoadedThere() throws Exception {
    try (RedisCluster cluster = RedisCluster.start(); ArbiterStore store = new RedisArbiterStore(cluster.uri())) {
      String moved = "moved-0";
      for (int n = 0; SlotHash.getSlot(moved) >= 100; n++) moved = "moved-" + n; // slots 0-99 move
      store.createEvent("c", event(moved, 10, 5));
      persist(store, batch(moved, 1, 1).win("r1", "u1", 2).build());

      int added = cluster.addMaster();
      cluster.cliOn(added, "function", "flush"); // redis-cli's add-node copies functions; a node may also come without
      cluster.moveSlots(0, added, 100);
      long movedNanos = System.nanoTime();
      assertEquals("1", cluster.cliOn(added, "exists", "fs:{" + moved + "}:meta").strip(), "the event moved to the new master");
      long deadline = movedNanos + 10_000_000_000L; // two periodic topology refreshes
      while (!hasLibrary(cluster, added) && System.nanoTime() < deadline) Thread.sleep(50);
      System.out.println(hasLibrary(cluster, added)
          ? "library on the added master " + (System.nanoTime() - movedNanos) / 1_000_000 + " ms after its slots moved, by the topology event"
          : "library not on the added master 10 s after its slots moved: no topology event for it; the first call loads it");

      persist(store, batch(moved, 2, 2).win("r2", "u2", 3).build());
      assertTrue(hasLibrary(cluster, added), "a call to the moved event leaves the library on its new master");
      cluster.cliOn(added, "function", "flush");
      persist(store, batch(moved, 3, 3).win("r3", "u3", 1).build()); // reloaded on "Function not found"
      assertEquals(4, store.loadLedger(moved).remainingStock());
      assertEquals(java.util.Set.of(moved), RedisArbiterStoreTest.liveIds(store), "the live index moved with its slot");
    }
  }

  private static boolean hasLibrary(RedisCluster cluster, int master) {
    return cluster.cliOn(master, "function", "list").contains("flashsale_arbiter_");
  }
}
