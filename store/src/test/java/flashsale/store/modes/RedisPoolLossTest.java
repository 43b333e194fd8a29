package flashsale.store.modes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import flashsale.sale.EventSpec;
import flashsale.sale.Outcome;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.shard.ShardBackend.DebitResult;
import flashsale.store.BuyReply;
import flashsale.store.PoolLostException;
import flashsale.store.testing.RedisServerExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A pool store that loses a pool mid-sale (a restart without persistence, FLUSHDB, eviction) must
 * not start it again at its full units: a node that saw the pool marks it lost, and then nothing
 * sells from it, for any node, until an operator restores it. Real Redis, flushed between buys.
 */
class RedisPoolLossTest {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();
  private static final long START = 1_767_225_600_000_000L;

  private RedisClient rawClient;
  private StatefulRedisConnection<String, String> rawConnection;
  private RedisCommands<String, String> raw;
  private RedisPoolStore region;

  @BeforeEach
  void open() {
    rawClient = RedisClient.create(REDIS.uri());
    rawConnection = rawClient.connect();
    raw = rawConnection.sync();
    raw.flushall();
    region = new RedisPoolStore(REDIS.uri());
  }

  @AfterEach
  void close() {
    region.close();
    rawConnection.close();
    flashsale.store.redis.RedisConnection.shutDown(rawClient);
  }

  @Test
  void aCentralPoolLostMidSaleIsNeverSoldFromAgain() {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 2);
    assertEquals(Outcome.WON, decided(region.buyCentral(spec, ticket("c", "r1", "ann", "beijing")).join()));
    assertEquals(Outcome.WON, decided(region.buyCentral(spec, ticket("c", "r2", "bob", "beijing")).join()));

    raw.flushdb(); // the store restarts empty: 2 units were sold, none may be sold again
    assertLost(() -> region.buyCentral(spec, ticket("c", "r3", "cat", "beijing")).join());
    assertNotNull(raw.hget(PoolKeys.central("c").state(), "lost_at"), "the pool is marked lost in the store");

    // A node that never saw the pool (started after the loss) would start it again: the mark stops it.
    try (RedisPoolStore fresh = new RedisPoolStore(REDIS.uri())) {
      assertLost(() -> fresh.buyCentral(spec, ticket("c", "r4", "dan", "shanghai")).join());
      assertLost(() -> fresh.centralCounters("c", 2).join());
    }
    assertLost(() -> region.centralCounters("c", 2).join());

    // Deleting the key does not start it over: a node that saw the pool marks it lost again.
    raw.del(PoolKeys.central("c").state());
    assertLost(() -> region.buyCentral(spec, ticket("c", "r5", "eve", "beijing")).join());
    // The operator writes the pool again by hand, with what is left to sell: nothing (2 of 2 were sold).
    raw.del(PoolKeys.central("c").state());
    // Its version goes above any a node saw, or the nodes refuse it as rolled back (see the README).
    raw.hset(PoolKeys.central("c").state(), java.util.Map.of("initial", "2", "remaining", "0", "sold", "2",
        "last_rank", "2", "wins", "2", "version", "1000000000000"));
    assertEquals(Outcome.LOST, decided(region.buyCentral(spec, ticket("c", "r6", "eve", "beijing")).join()),
        "sold out, as before the loss");
    assertEquals(Outcome.LOST, decided(region.buyCentral(spec, ticket("c", "r7", "fay", "beijing")).join()),
        "and it stays usable: the next call finds it no older than the last");
  }

  @Test
  void aFreshPoolStillStartsAtItsUnitsAndAReadOfAPoolSeenThenGoneFails() {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 2);
    assertEquals(2, region.centralCounters("c", 2).join().remainingUnits(), "untouched: never seen, not lost");
    assertEquals(Outcome.WON, decided(region.buyCentral(spec, ticket("c", "r1", "ann", "beijing")).join()));
    raw.flushdb();
    assertLost(() -> region.centralCounters("c", 2).join());
  }

  @Test
  void aShardLostMidSaleRefusesBuysAndTransfers() {
    EventSpec spec = spec("s", SaleMode.SHARDED, 10);
    assertEquals(Outcome.WON, decided(region.buyShard(spec, ticket("s", "r1", "ann", "beijing"), true).join()));
    var backend = region.shard(spec, "beijing");
    assertEquals(DebitResult.DEBITED, backend.debit("t1", 1, "shanghai"));

    raw.flushdb();
    assertLost(() -> region.buyShard(spec, ticket("s", "r2", "bob", "beijing"), true).join());
    assertLost(() -> backend.debit("t2", 1, "shanghai"));
    assertLost(backend::snapshot);
  }

  @Test
  void aPoolOpenedAtCreationIsKnownLostByANodeThatNeverSawIt() {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 2).withPoolsOpenedAtCreation(true);
    try (RedisPoolStore arbiter = new RedisPoolStore(REDIS.uri())) {
      arbiter.openCentral(spec).join();
    }
    raw.flushdb(); // lost before anybody bought: no node saw the pool sell
    // This node never touched the pool. Without the spec's word it would start the pool at 2 units again.
    try (RedisPoolStore fresh = new RedisPoolStore(REDIS.uri())) {
      assertLost(() -> fresh.centralCounters(spec).join());
      assertLost(() -> fresh.buyCentral(spec, ticket("c", "r1", "ann", "beijing")).join());
    }
    assertNotNull(raw.hget(PoolKeys.central("c").state(), "lost_at"), "the buy marked it lost for every node");
    assertLost(() -> region.centralCounters("c", 2).join());
  }

  @Test
  void aShardOpenedAtCreationIsKnownLostByTheRebalancerAndItsRegion() {
    EventSpec spec = spec("s", SaleMode.SHARDED, 10).withPoolsOpenedAtCreation(true);
    try (RedisPoolStore arbiter = new RedisPoolStore(REDIS.uri())) {
      arbiter.openShard(spec, "beijing").join();
      arbiter.openShard(spec, "shanghai").join();
    }
    assertEquals(5, region.shardCounters(spec, "beijing").join().remainingUnits(), "opened at its units");
    raw.flushdb();
    try (RedisPoolStore rebalancer = new RedisPoolStore(REDIS.uri())) {
      var backend = rebalancer.shard(spec, "shanghai");
      assertLost(backend::snapshot);
      assertLost(() -> backend.credit("t1", 3));
      assertLost(() -> rebalancer.shardCounters(spec, "shanghai").join());
    }
    try (RedisPoolStore quietRegion = new RedisPoolStore(REDIS.uri())) {
      assertLost(() -> quietRegion.buyShard(spec, ticket("s", "r1", "ann", "beijing"), true).join());
    }
  }

  @Test
  void openingAtCreationKeepsAnOpenPoolAndRefusesOtherUnitsOrALostPool() {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 2).withPoolsOpenedAtCreation(true);
    region.openCentral(spec).join();
    assertEquals(Outcome.WON, decided(region.buyCentral(spec, ticket("c", "r1", "ann", "beijing")).join()));
    region.openCentral(spec).join(); // a retried create: nothing changes
    assertEquals(1, region.centralCounters(spec).join().remainingUnits(), "the sale goes on where it was");

    var clash = assertThrows(RuntimeException.class, () -> region.openCentral(spec("c", SaleMode.CENTRAL, 99)).join());
    assertInstanceOf(flashsale.store.PoolExistsException.class, clash.getCause(), clash.toString());
    assertEquals("2", raw.hget(PoolKeys.central("c").state(), "initial"), "left as it was");

    raw.flushdb();
    assertLost(() -> region.buyCentral(spec, ticket("c", "r2", "bob", "beijing")).join());
    assertLost(() -> region.openCentral(spec).join()); // never opened again at its full units
  }

  @Test
  void aStoreRolledBackToAnOlderSnapshotIsRefusedNotSoldAgain() {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 2).withPoolsOpenedAtCreation(true);
    region.openCentral(spec).join();
    assertEquals(Outcome.WON, decided(region.buyCentral(spec, ticket("c", "r1", "ann", "beijing")).join()));
    java.util.Map<String, byte[]> snapshot = snapshot("c"); // 1 unit left, as an older RDB file holds it
    assertEquals(Outcome.WON, decided(region.buyCentral(spec, ticket("c", "r2", "bob", "beijing")).join()));

    restore("c", snapshot); // the store restarts from that snapshot: bob's unit reads as unsold
    assertLost(() -> region.buyCentral(spec, ticket("c", "r3", "cat", "beijing")).join());
    assertEquals("1", raw.hget(PoolKeys.central("c").state(), "remaining"), "not sold from: the snapshot's 1 unit");
    assertNotNull(raw.hget(PoolKeys.central("c").state(), "lost_at"), "marked lost for every node");
    try (RedisPoolStore fresh = new RedisPoolStore(REDIS.uri())) {
      assertLost(() -> fresh.buyCentral(spec, ticket("c", "r4", "dan", "shanghai")).join());
    }
  }

  @Test
  void aReadOfAPoolRolledBackFailsAtTheNodeThatSawItLater() {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 2).withPoolsOpenedAtCreation(true);
    region.openCentral(spec).join();
    java.util.Map<String, byte[]> snapshot = snapshot("c");
    assertEquals(Outcome.WON, decided(region.buyCentral(spec, ticket("c", "r1", "ann", "beijing")).join()));
    restore("c", snapshot);
    assertLost(() -> region.centralCounters(spec).join());
  }

  @Test
  void aShardRolledBackUnderTheRebalancerIsRefusedNotLentAgain() {
    EventSpec spec = spec("s", SaleMode.SHARDED, 10).withPoolsOpenedAtCreation(true);
    region.openShard(spec, "beijing").join();
    var backend = region.shard(spec, "beijing");
    java.util.Map<String, byte[]> snapshot = snapshot("s");
    assertEquals(DebitResult.DEBITED, backend.debit("t1", 3, "shanghai")); // 3 units on their way
    restore("s", snapshot); // the debit is undone, its record gone: those 3 units would be lent twice
    assertLost(() -> backend.debit("t2", 3, "shanghai"));
    assertLost(backend::snapshot);
  }

  /**
   * The rebalancer debits a quiet region's shard, then its store fails over to a replica that had
   * not got the debit: the region saw only the older version, so its own check passes. The
   * rebalancer's read finds the shard behind and marks it lost, so the region stops selling the 3
   * units it lent (which the target sells too).
   */
  @Test
  void aShardFoundRolledBackByTheRebalancerStopsItsRegionToo() throws Exception {
    EventSpec spec = spec("s", SaleMode.SHARDED, 10).withPoolsOpenedAtCreation(true);
    try (RedisPoolStore arbiter = new RedisPoolStore(REDIS.uri())) {
      arbiter.openShard(spec, "beijing").join();
      assertEquals(Outcome.WON, decided(region.buyShard(spec, ticket("s", "r1", "ann", "beijing"), true).join()));
      java.util.Map<String, byte[]> replica = snapshot("s"); // what a replica behind holds
      var backend = arbiter.shard(spec, "beijing");
      assertEquals(4, backend.snapshot().remainingUnits());
      assertEquals(DebitResult.DEBITED, backend.debit("t1", 3, "shanghai"));
      restore("s", replica);
      assertLost(backend::snapshot);
    }
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (raw.hget(PoolKeys.shard("s", "beijing").state(), "lost_at") == null && System.nanoTime() < deadline) {
      Thread.sleep(5); // marked without the read waiting for it
    }
    assertLost(() -> region.buyShard(spec, ticket("s", "r2", "bob", "beijing"), true).join());
    assertEquals("4", raw.hget(PoolKeys.shard("s", "beijing").state(), "remaining"), "nothing sold from it again");
  }

  /**
   * An event stored whose pool is not open yet (its opening failed and its create will retry it)
   * reads like a lost one, but a read must not mark it: the opening would then never succeed.
   */
  @Test
  void aReadOfAPoolNotOpenedYetDoesNotKeepItFromOpening() throws Exception {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 2).withPoolsOpenedAtCreation(true);
    assertLost(() -> region.centralCounters(spec).join());
    Thread.sleep(50); // a mark, had one been sent, lands meanwhile
    assertEquals(null, raw.hget(PoolKeys.central("c").state(), "lost_at"));
    region.openCentral(spec).join(); // the create's retry opens it
    assertEquals(2, region.centralCounters(spec).join().remainingUnits());
  }

  /** Every key of the event, as a snapshot holds it. */
  private java.util.Map<String, byte[]> snapshot(String eventId) {
    java.util.Map<String, byte[]> dumped = new java.util.HashMap<>();
    for (String key : raw.keys("fs:{" + eventId + "}:*")) dumped.put(key, raw.dump(key));
    return dumped;
  }

  /** The event's keys as {@code snapshot} held them, and none other: a store restarted from that snapshot. */
  private void restore(String eventId, java.util.Map<String, byte[]> snapshot) {
    raw.del(raw.keys("fs:{" + eventId + "}:*").toArray(String[]::new));
    snapshot.forEach((key, value) -> raw.restore(key, value, io.lettuce.core.RestoreArgs.Builder.ttl(0)));
  }

  private static void assertLost(Runnable call) {
    RuntimeException e = assertThrows(RuntimeException.class, call::run);
    assertInstanceOf(PoolLostException.class, PoolLostException.in(e).orElse(null), e.toString());
  }

  private static Outcome decided(BuyReply reply) {
    return assertInstanceOf(BuyReply.Decided.class, reply).decision().outcome();
  }

  private static Ticket ticket(String eventId, String requestId, String user, String region) {
    return new Ticket(eventId, requestId, user, 1, region, START + requestId.hashCode());
  }

  private static EventSpec spec(String eventId, SaleMode mode, long stock) {
    return new EventSpec(eventId, "shoes", stock, START, START + 3_600_000_000L, 2, List.of("beijing", "shanghai"),
        mode, 7);
  }
}
