package flashsale.store;

import static flashsale.store.Sales.batch;
import static flashsale.store.Sales.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.EventLedger;
import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.testing.RedisCluster;
import flashsale.store.testing.RedisClusterExtension;
import io.lettuce.core.cluster.SlotHash;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The store contract on a real 3-master Redis Cluster, plus what only a cluster can break: events
 * on every master, the function library on every master (and back after it was lost), a client
 * given one seed, and a master's restart.
 */
class RedisClusterArbiterStoreTest extends ArbiterStoreContract {
  @RegisterExtension static final RedisClusterExtension CLUSTER = new RedisClusterExtension();

  @Override
  protected ArbiterStore newStore() {
    return new RedisArbiterStore(CLUSTER.uri());
  }

  /** Event ids whose slots are served by each master in turn: one per master. */
  static List<String> oneEventPerMaster(String prefix) {
    List<String> ids = new ArrayList<>();
    for (int master = 0, n = 0; master < RedisCluster.MASTERS; n++) {
      String id = prefix + n;
      if (RedisCluster.masterOfSlot(SlotHash.getSlot(id)) == master) {
        ids.add(id);
        master++;
      }
    }
    return ids;
  }

  @Test
  void eventsOnEveryMasterSellListAndFinish() {
    List<String> ids = oneEventPerMaster("spread-");
    for (String id : ids) {
      store.createEvent("c-" + id, event(id, 3, 2));
      persist(store, batch(id, 1, 1).win("r1", "u1", 2).win("r2", "u2", 1).build());
    }
    assertEquals(new HashSet<>(ids), RedisArbiterStoreTest.liveIds(store));
    for (String id : ids) {
      assertEquals(0, store.loadLedger(id).remainingStock());
      assertEquals(2, store.readOutbox(id).size());
      String owner = CLUSTER.cluster().cliOn(RedisCluster.masterOfSlot(SlotHash.getSlot(id)), "exists", "fs:{" + id + "}:meta");
      assertEquals("1", owner.strip(), "event " + id + " lives on the master of its slot");
    }
    store.finishEvent(ids.get(1));
    assertEquals(Set.of(ids.get(0), ids.get(2)), RedisArbiterStoreTest.liveIds(store));
    System.out.println("cluster: listing live events (every slot's index) " + RedisArbiterStoreTest.listingMs(store));
  }

  @Test
  void theLibraryIsOnEveryMasterAndComesBackWhereItWasLost() {
    for (int m = 0; m < RedisCluster.MASTERS; m++) {
      assertTrue(CLUSTER.cluster().cliOn(m, "function", "list").contains("flashsale_arbiter_"), "library on master " + m);
    }
    List<String> ids = oneEventPerMaster("lost-");
    for (String id : ids) store.createEvent("c-" + id, event(id, 10, 5));
    for (int m = 0; m < RedisCluster.MASTERS; m++) CLUSTER.cluster().cliOn(m, "function", "flush");
    for (String id : ids) persist(store, batch(id, 1, 1).win("r1", "u1", 2).build());
    for (String id : ids) assertEquals(8, store.loadLedger(id).remainingStock());
  }

  @Test
  void aClientGivenOneSeedFindsEveryMaster() {
    List<String> ids = oneEventPerMaster("seed-");
    try (ArbiterStore oneSeed = new RedisArbiterStore(CLUSTER.cluster().uriOfOneSeed())) {
      for (String id : ids) {
        oneSeed.createEvent("c-" + id, event(id, 4, 4));
        persist(oneSeed, batch(id, 1, 1).win("r1", "u1", 4).build());
      }
      for (String id : ids) assertEquals(0, store.loadHead(id).remainingStock());
    }
  }

  @Test
  void anEqualEpochFromAnotherWriterIsFenced() throws Exception {
    try (ArbiterStore other = new RedisArbiterStore(CLUSTER.uri())) {
      FencingChecks.equalEpochOfAnotherWriterIsFenced(store, other);
    }
  }

  @Test
  void aRestartedMasterKeepsEveryAcknowledgedBatchAndTheStoreCarriesOn() {
    List<String> ids = oneEventPerMaster("restart-");
    for (String id : ids) {
      store.createEvent("c-" + id, event(id, 10, 5));
      persist(store, batch(id, 1, 1).win("r1", "u1", 3).build());
    }
    String onRestarted = ids.get(1);
    EventLedger acknowledged = store.loadLedger(onRestarted);

    CLUSTER.cluster().restart(1);

    assertEquals(acknowledged, store.loadLedger(onRestarted));
    for (String id : ids) persist(store, batch(id, 2, 2).win("r2", "u2", 5).build());
    for (String id : ids) assertEquals(2, store.loadLedger(id).remainingStock());
    assertEquals(new HashSet<>(ids), RedisArbiterStoreTest.liveIds(store));
  }
}
