package flashsale.store.modes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.store.BuyReply;
import flashsale.store.PoolCounters;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a reader of the pools sees after real purchases at a real Redis, and a shard transfer's
 * steps; subclasses give the store (one server, a cluster).
 */
abstract class PoolStoreContract {
  private static final long START = 1_767_225_600_000_000L;

  private RedisPoolStore store;

  /** The URI of an emptied store. */
  protected abstract String uri();

  @BeforeEach
  void open() {
    store = new RedisPoolStore(uri());
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void centralCountersAndDecisionLogFollowTheOrderOfArrival() {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 3);
    PoolReader central = store.central();
    assertEquals(new PoolCounters(3, 0, 0, 0), central.counters("c", 3).join(), "untouched pool holds its stock");
    List<Decision> decided = List.of(
        buyCentral(spec, "r1", "ann", 2), buyCentral(spec, "r2", "bob", 2), buyCentral(spec, "r3", "cat", 1),
        buyCentral(spec, "r4", "dan", 1));
    buyCentral(spec, "r1", "ann", 2); // a retry decides nothing new

    assertEquals(new PoolCounters(0, 3, 4, 2), central.counters("c", 3).join());
    assertEquals(LossReason.INSUFFICIENT_STOCK, decided.get(1).lossReason());
    assertEquals(decided, central.listDecisions("c", 0, 10).join());
    assertEquals(decided.subList(1, 3), central.listDecisions("c", 1, 2).join(), "a page starts after its rank");
    assertEquals(List.of(), central.listDecisions("c", 4, 10).join());
    assertEquals(Optional.of(decided.get(2)), central.findDecision("c", "r3").join());
    assertEquals(Optional.empty(), central.findDecision("c", "nobody").join());
  }

  @Test
  void aShardIsReadOnlyAtItsOwnRegion() {
    EventSpec spec = spec("s", SaleMode.SHARDED, 4);
    Decision won = store.buyShard(spec, ticket("s", "r1", "ann", 1, "beijing"), true).thenApply(this::decision).join();
    assertEquals(Optional.of(won), store.shardOf("beijing").findDecision("s", "r1").join());
    assertEquals(Optional.empty(), store.shardOf("shanghai").findDecision("s", "r1").join());
    assertEquals(new PoolCounters(1, 1, 1, 1), store.shardOf("beijing").counters("s", 2).join());
    assertEquals(new PoolCounters(2, 0, 0, 0), store.shardOf("shanghai").counters("s", 2).join());
  }

  @Test
  void aTransferMovesUnitsBetweenTwoRegionsShardsOnce() {
    EventSpec spec = spec("t", SaleMode.SHARDED, 4); // 2 units per region
    var beijing = store.shard(spec, "beijing");
    var shanghai = store.shard(spec, "shanghai");
    assertEquals(flashsale.shard.ShardBackend.DebitResult.DEBITED, beijing.debit("x1", 2, "shanghai"));
    assertEquals(flashsale.shard.ShardBackend.DebitResult.ALREADY_DEBITED, beijing.debit("x1", 2, "shanghai"));
    assertEquals(true, shanghai.credit("x1", 2));
    assertEquals(false, shanghai.credit("x1", 2), "credited once");
    beijing.settle("x1");
    assertEquals(0, beijing.snapshot().remainingUnits());
    assertEquals(4, shanghai.snapshot().remainingUnits());
    assertEquals(flashsale.shard.ShardBackend.DebitResult.SHORT, beijing.debit("x2", 1, "shanghai"));
  }

  private Decision buyCentral(EventSpec spec, String requestId, String user, int quantity) {
    return store.buyCentral(spec, ticket(spec.eventId(), requestId, user, quantity, "beijing")).thenApply(this::decision)
        .join();
  }

  private Decision decision(BuyReply reply) {
    return ((BuyReply.Decided) reply).decision();
  }

  private static Ticket ticket(String eventId, String requestId, String user, int quantity, String region) {
    return new Ticket(eventId, requestId, user, quantity, region, START + requestId.hashCode());
  }

  private static EventSpec spec(String eventId, SaleMode mode, long stock) {
    return new EventSpec(eventId, "shoes", stock, START, START + 3_600_000_000L, 2, List.of("beijing", "shanghai"),
        mode, 7);
  }
}
