package flashsale.store;

import static flashsale.store.ArbiterStoreContract.persist;
import static flashsale.store.Sales.batch;
import static flashsale.store.Sales.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.DecisionBatch;
import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.testing.RedisReplicated;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Redis store with a replica that lags (frozen), then is promoted when the primary dies: a batch
 * is reported stored, and so told, only once the replica holds it ({@link ReplicaAcks}); without
 * acknowledgements a told batch dies with the primary, which is why they exist.
 */
class RedisReplicaAcksTest {
  private static final ReplicaAcks ONE_REPLICA = new ReplicaAcks(1, Duration.ofMillis(300));

  @Test
  void aBatchCountsAsStoredOnlyOnceTheReplicaHoldsItSoAFailoverLosesNothingTold() throws Exception {
    try (RedisReplicated redis = RedisReplicated.start();
        ArbiterStore store = new RedisArbiterStore(redis.primaryUri(), ONE_REPLICA)) {
      store.createEvent("c1", event("e1", 10, 5));
      persist(store, batch("e1", 1, 1).win("r1", "u1", 3).build());

      redis.freezeReplica();
      DecisionBatch lagging = batch("e1", 2, 2).win("r2", "u2", 2).build();
      long startNanos = System.nanoTime();
      CompletableFuture<Void> write = store.persistBatch(lagging);
      ExecutionException notTold = assertThrows(ExecutionException.class, () -> write.get(10, TimeUnit.SECONDS));
      var refusal = assertInstanceOf(StoreNotReplicatedException.class, notTold.getCause());
      assertEquals(0, refusal.replicasAcknowledged(), refusal.getMessage());
      long waitedMs = (System.nanoTime() - startNanos) / 1_000_000;
      assertTrue(waitedMs >= 250, "answered after " + waitedMs + " ms, before the 300 ms wait was over");

      // Nor does a read tell it while only the primary holds it.
      assertThrows(StoreNotReplicatedException.class, () -> store.findDecision("e1", "r2"));
      assertTrue(store.findDecision("e1", "r9").isEmpty(), "nothing found, nothing to wait for");

      redis.thawReplica();
      persistRetried(store, lagging); // the arbiter's retry: the primary has it (SAME), the replica now too
      assertTrue(store.findDecision("e1", "r2").isPresent());

      redis.failOver();
      try (ArbiterStore promoted = new RedisArbiterStore(redis.replicaUri())) {
        assertTrue(promoted.findDecision("e1", "r1").isPresent(), "r1 lost");
        assertTrue(promoted.findDecision("e1", "r2").isPresent(), "r2 told, then lost");
        assertEquals(5, promoted.loadLedger("e1").remainingStock());
      }
    }
  }

  @Test
  void anEventIsCreatedOnlyOnceTheReplicaHoldsIt() {
    try (RedisReplicated redis = RedisReplicated.start();
        ArbiterStore store = new RedisArbiterStore(redis.primaryUri(), ONE_REPLICA)) {
      redis.freezeReplica();
      assertThrows(StoreNotReplicatedException.class, () -> store.createEvent("c1", event("e1", 10, 5)));
      redis.thawReplica();
      assertEquals(10, createRetried(store, "c1", event("e1", 10, 5)).stock()); // the same request, retried
      redis.failOver();
      try (ArbiterStore promoted = new RedisArbiterStore(redis.replicaUri())) {
        assertTrue(promoted.findEvent("e1").isPresent());
      }
    }
  }

  /** As the arbiter retries: again until the replica, just thawed and catching up, acknowledges. */
  private static void persistRetried(ArbiterStore store, DecisionBatch batch) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        store.persistBatch(batch).get(10, TimeUnit.SECONDS);
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof StoreNotReplicatedException) || attempt == 20) throw new AssertionError(e.getCause());
      } catch (java.util.concurrent.TimeoutException e) {
        throw new AssertionError(e);
      }
    }
  }

  private static flashsale.sale.EventSpec createRetried(ArbiterStore store, String requestId, flashsale.sale.EventSpec spec) {
    for (int attempt = 1; ; attempt++) {
      try {
        return store.createEvent(requestId, spec);
      } catch (StoreNotReplicatedException e) {
        if (attempt == 20) throw e;
      }
    }
  }

  @Test
  void withoutAcknowledgementsAToldBatchCanDieWithThePrimary() {
    try (RedisReplicated redis = RedisReplicated.start();
        ArbiterStore acknowledged = new RedisArbiterStore(redis.primaryUri(), ONE_REPLICA);
        ArbiterStore store = new RedisArbiterStore(redis.primaryUri())) {
      acknowledged.createEvent("c1", event("e1", 10, 5)); // on the replica before it freezes

      redis.cutReplica();
      persist(store, batch("e1", 1, 1).win("r1", "u1", 3).build()); // told

      redis.failOver();
      try (ArbiterStore promoted = new RedisArbiterStore(redis.replicaUri())) {
        assertTrue(promoted.findEvent("e1").isPresent());
        assertTrue(promoted.findDecision("e1", "r1").isEmpty(), "Redis replicated before answering: nothing to show");
      }
    }
  }
}
