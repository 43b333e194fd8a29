package flashsale.store.modes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.Outcome;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.shard.ShardBackend;
import flashsale.store.BuyReply;
import flashsale.store.ReplicaAcks;
import flashsale.store.StoreNotReplicatedException;
import flashsale.store.testing.RedisReplicated;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * CENTRAL and SHARDED pools with replica acknowledgements: a decision is told (the buy answers) only
 * once the replica holds it, so the primary's failover loses nothing told. Real primary and replica
 * processes; the replica is stopped (SIGSTOP), and cut off, to play one that fell behind.
 */
class RedisPoolStoreReplicaAcksTest {
  private static final long START = 1_767_225_600_000_000L;
  private static final ReplicaAcks ONE_REPLICA = new ReplicaAcks(1, Duration.ofMillis(300));

  @Test
  void aCentralDecisionIsToldOnlyOnceTheReplicaHoldsIt() {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 2);
    try (RedisReplicated redis = RedisReplicated.start()) {
      Decision told;
      try (var pool = new RedisPoolStore(redis.primaryUri(), ONE_REPLICA)) {
        told = decided(pool.buyCentral(spec, ticket("c", "r1", "ann")).join());
        assertEquals(Outcome.WON, told.outcome());

        redis.cutReplica();
        // Won on the primary, never told.
        CompletionException notTold = assertThrows(CompletionException.class,
            () -> pool.buyCentral(spec, ticket("c", "r2", "bob")).join());
        assertInstanceOf(StoreNotReplicatedException.class, notTold.getCause());
      }
      redis.failOver();
      try (var promoted = new RedisPoolStore(redis.replicaUri())) {
        assertEquals(Optional.of(told), promoted.findCentralDecision("c", "r1").join(), "what was told survived");
        assertEquals(Optional.empty(), promoted.findCentralDecision("c", "r2").join(),
            "what was never told is lost with the primary, and decided afresh when retried");
      }
    }
  }

  @Test
  void aShardTransferStepCountsOnlyOnceTheReplicaHoldsIt() {
    EventSpec spec = spec("s", SaleMode.SHARDED, 10);
    try (RedisReplicated redis = RedisReplicated.start();
        var pool = new RedisPoolStore(redis.primaryUri(), ONE_REPLICA)) {
      ShardBackend shard = pool.shard(spec, "beijing");
      assertEquals(ShardBackend.DebitResult.DEBITED, shard.debit("t1", 1, "shanghai"));
      redis.freezeReplica();
      IllegalStateException failed = assertThrows(IllegalStateException.class, () -> shard.debit("t2", 1, "shanghai"));
      assertInstanceOf(StoreNotReplicatedException.class, rootOf(failed), failed.toString());
      redis.thawReplica();
      // The step is idempotent: taken again once the replica is back, it counts, and only once.
      assertEquals(ShardBackend.DebitResult.ALREADY_DEBITED, shard.debit("t2", 1, "shanghai"));
      var after = shard.snapshot();
      assertEquals(2, after.outgoing().size(), "two transfers out");
      assertEquals(3, after.remainingUnits(), "5 units in the shard, each transfer debited once");
    }
  }

  private static Throwable rootOf(Throwable e) {
    while (e.getCause() != null) e = e.getCause();
    return e;
  }

  private static Decision decided(BuyReply reply) {
    return assertInstanceOf(BuyReply.Decided.class, reply).decision();
  }

  private static Ticket ticket(String eventId, String requestId, String user) {
    return new Ticket(eventId, requestId, user, 1, "beijing", START + requestId.hashCode());
  }

  private static EventSpec spec(String eventId, SaleMode mode, long stock) {
    return new EventSpec(eventId, "shoes", stock, START, START + 3_600_000_000L, 2, List.of("beijing", "shanghai"),
        mode, 7);
  }
}
