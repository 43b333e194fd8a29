package flashsale.store;

import static flashsale.store.Sales.event;
import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.testing.RedisCluster;
import io.lettuce.core.cluster.SlotHash;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Listing the live events while a slot migrates (a reshard under way): a new leader must find every
 * live event, not fail its recovery until the reshard ends. Slot 7 (master 0's, holding no event)
 * is left MIGRATING to master 1, as {@code redis-cli --cluster reshard} leaves each slot it moves
 * for a moment.
 */
class LiveIndexDuringMigrationTest {
  private static final String SLOT = "7";

  @Test
  void liveEventsAreListedWhileASlotMigrates() throws Exception {
    try (RedisCluster cluster = RedisCluster.start(); ArbiterStore store = new RedisArbiterStore(cluster.uri())) {
      store.createEvent("c", event("steady", 10, 5));
      String moving = "moving-0"; // an event of the migrating slot, its live-index entry already moved
      for (int n = 0; SlotHash.getSlot(moving) != Integer.parseInt(SLOT); n++) moving = "moving-" + n;
      store.createEvent("m", event(moving, 10, 5));
      String source = cluster.cliOn(0, "cluster", "myid").strip();
      String target = cluster.cliOn(1, "cluster", "myid").strip();
      cluster.cliOn(1, "cluster", "setslot", SLOT, "importing", source);
      cluster.cliOn(0, "cluster", "setslot", SLOT, "migrating", target);
      try {
        String liveKey = java.util.Arrays.stream(cluster.cliOn(0, "cluster", "getkeysinslot", SLOT, "100").split("\\s+"))
            .filter(k -> k.endsWith(":live")).findFirst().orElseThrow();
        var to = java.net.URI.create(cluster.masterUri(1));
        assertEquals("OK", cluster.cliOn(0, "migrate", to.getHost(), Integer.toString(to.getPort()), liveKey, "0", "5000").strip());
        long startNanos = System.nanoTime();
        assertEquals(Set.of("steady", moving), RedisArbiterStoreTest.liveIds(store));
        System.out.printf("listing with slot %s migrating: %d ms%n", SLOT, (System.nanoTime() - startNanos) / 1_000_000);
      } finally {
        cluster.cliOn(0, "cluster", "setslot", SLOT, "stable");
        cluster.cliOn(1, "cluster", "setslot", SLOT, "stable");
      }
    }
  }
}
