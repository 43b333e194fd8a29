package flashsale.store;

import static flashsale.store.ArbiterStoreContract.persist;
import static flashsale.store.Sales.batch;
import static flashsale.store.Sales.event;
import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.sale.EventLedger;
import flashsale.sale.LossReason;
import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.testing.RedisServer;
import org.junit.jupiter.api.Test;

/** The Redis store across a server crash: what was acknowledged survives, and the store reconnects by itself. */
class RedisStoreFaultsTest {

  @Test
  void killedAppendOnlyServerKeepsEveryAcknowledgedBatchAndTheStoreCarriesOn() {
    try (RedisServer server = RedisServer.start(true); ArbiterStore store = new RedisArbiterStore(server.uri())) {
      store.createEvent("c", event("e1", 10, 5));
      persist(store, batch("e1", 1, 1).win("r1", "u1", 3).lose("r2", "u2", 1, LossReason.LIMIT_EXCEEDED)
          .win("r3", "u3", 2).build());
      EventLedger acknowledged = store.loadLedger("e1");

      server.kill();
      server.restart();

      assertEquals(acknowledged, store.loadLedger("e1"));
      persist(store, batch("e1", 2, 4).win("r4", "u4", 5).build());
      assertEquals(0, store.loadLedger("e1").remainingStock());
      try (ArbiterStore reopened = new RedisArbiterStore(server.uri())) {
        assertEquals(store.loadLedger("e1"), reopened.loadLedger("e1"));
        assertEquals(3, reopened.readOutbox("e1").size());
      }
    }
  }
}
