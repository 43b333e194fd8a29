package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.shard.ShardCoordinator;
import flashsale.arbiter.shard.ShardOptions;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.shard.EventAccount;
import flashsale.shard.ShardBackend;
import flashsale.shard.ShardDemand;
import flashsale.shard.ShardSnapshot;
import flashsale.store.BuyReply;
import flashsale.store.ShardStore;
import flashsale.store.modes.RedisPoolStore;
import flashsale.store.testing.RedisServer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The rebalancer dies between the two steps of a transfer (units debited at the far shard, not
 * yet credited at the near one), against two real Redis servers. A new rebalancer must complete
 * the transfer, the stock must be conserved throughout, and the event must still sell out.
 */
class RebalancerCrashTest {
  static final long STOCK = 40;
  final RedisServer nearRedis = RedisServer.start();
  final RedisServer farRedis = RedisServer.start();
  final RedisPoolStore near = new RedisPoolStore(nearRedis.uri());
  final RedisPoolStore far = new RedisPoolStore(farRedis.uri());
  final EventSpec spec = new EventSpec("crash", "shoes", STOCK, 0, Long.MAX_VALUE / 2, 1, List.of("near", "far"),
      SaleMode.SHARDED, 0, Map.of("near", 20L, "far", 20L));
  final ShardOptions options = ShardOptions.of(Map.of("near", nearRedis.uri(), "far", farRedis.uri()));
  int buyers;
  /** The purchase each region holds for stock, found short last. */
  private final Map<String, Ticket> heldByRegion = new java.util.HashMap<>();

  @AfterEach
  void close() {
    near.close();
    far.close();
    nearRedis.close();
    farRedis.close();
  }

  /** Dies (throws, and never runs another step) right after its first debit. */
  static final class DiesAfterDebit implements ShardBackend {
    final ShardBackend inner;
    final AtomicInteger debits;

    DiesAfterDebit(ShardBackend inner, AtomicInteger debits) {
      this.inner = inner;
      this.debits = debits;
    }

    public String region() {
      return inner.region();
    }

    public DebitResult debit(String id, long units, String target) {
      DebitResult r = inner.debit(id, units, target);
      debits.incrementAndGet();
      throw new IllegalStateException("rebalancer killed after debiting " + id);
    }

    public boolean credit(String id, long units) {
      if (debits.get() > 0) throw new IllegalStateException("dead rebalancer cannot credit");
      return inner.credit(id, units);
    }

    public void settle(String id) {
      if (debits.get() > 0) throw new IllegalStateException("dead rebalancer cannot settle");
      inner.settle(id);
    }

    public void forgetCredit(String id) {
      if (debits.get() > 0) throw new IllegalStateException("dead rebalancer cannot forget a credit");
      inner.forgetCredit(id);
    }

    public ShardSnapshot snapshot() {
      return inner.snapshot();
    }
  }

  @Test
  void aTransferHalfDoneByADeadRebalancerIsCompletedAndTheStockSellsOut() throws Exception {
    assertEquals(20, sellUntilShort("near"), "near sells its own shard");

    AtomicInteger debits = new AtomicInteger();
    try (var doomed = new ShardCoordinator(options.withBackendWrapper(b -> new DiesAfterDebit(b, debits)),
        openShardStores(), this::find, Clock.systemUTC())) {
      doomed.report("crash", new ShardDemand("near", 0, 10, 0)).join();
    }
    assertEquals(1, debits.get(), "the rebalancer died after step 1");
    EventAccount halfDone = account().requireConserved(STOCK);
    assertTrue(halfDone.inFlightUnits() > 0, "units are in flight: " + halfDone);
    assertEquals(0, sellUntilShort("near"), "nothing reached near yet: its held purchase is still short");

    try (var fresh = new ShardCoordinator(options, openShardStores(), this::find, Clock.systemUTC())) {
      fresh.report("crash", new ShardDemand("near", 0, 1, 0)).join();
      assertEquals(0, account().requireConserved(STOCK).inFlightUnits(), "recovery completed the transfer");
      long sold = 20;
      for (int round = 0; round < 20 && sold < STOCK; round++) {
        sold += sellUntilShort("near");
        fresh.report("crash", new ShardDemand("near", 0, 1, 0)).join();
        account().requireConserved(STOCK);
      }
      Optional<EventAccount> end = fresh.report("crash", new ShardDemand("near", 0, 1, 0)).join();
      assertEquals(STOCK, sold, "the stock still sells out, far's quiet shard included");
      assertTrue(end.orElseThrow().soldOut());
      assertEquals(new EventAccount(0, STOCK, 0, 0), account());
    }
  }

  /** Each coordinator's own connections to the two shards, as an arbiter node opens them; it closes them. */
  private Map<String, ShardStore> openShardStores() {
    return Map.of("near", new RedisPoolStore(nearRedis.uri()), "far", new RedisPoolStore(farRedis.uri()));
  }

  private Optional<EventSpec> find(String eventId) {
    return Optional.of(spec).filter(s -> s.eventId().equals(eventId));
  }

  /**
   * Buys one unit at a time until the shard is short. As a region does, the purchase found short
   * is held and retried first next time ({@code buyHeld}): later first tries are short behind it.
   */
  private long sellUntilShort(String region) {
    long sold = 0;
    while (true) {
      Ticket waiting = heldByRegion.remove(region);
      Ticket t = waiting != null ? waiting : newTicket(region);
      ShardStore store = region.equals("near") ? near : far;
      BuyReply reply = (waiting != null ? store.buyHeld(spec, t, -1) : store.buyShard(spec, t, false)).join();
      if (!(reply instanceof BuyReply.Decided d)) {
        heldByRegion.put(region, t);
        return sold;
      }
      assertTrue(d.decision().won());
      sold++;
    }
  }

  private Ticket newTicket(String region) {
    String user = "u" + buyers++;
    return new Ticket("crash", "r-" + user, user, 1, region, System.currentTimeMillis() * 1000);
  }

  private EventAccount account() {
    return EventAccount.of(List.of(near.shard(spec, "near").snapshot(), far.shard(spec, "far").snapshot()));
  }
}
