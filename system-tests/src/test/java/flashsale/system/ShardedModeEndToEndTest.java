package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.load.RequestRecord;
import flashsale.client.report.RunResult;
import flashsale.sale.EventSpec;
import flashsale.shard.EventAccount;
import flashsale.store.modes.RedisPoolStore;
import flashsale.v1.EventMode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SHARDED end to end: each region sells from its own Redis; a burst far beyond one region's shard
 * must still sell the whole stock, borrowing from the quiet region, and never oversell.
 */
class ShardedModeEndToEndTest {
  static ModesFixture fx;

  @BeforeAll
  static void start() throws Exception {
    fx = new ModesFixture();
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @Test
  void aBurstSkewedToOneRegionSellsOutExactly() throws Exception {
    // Equal shards of 40; near gets 200 purchases, far only 8 (the far region sends 4% as much).
    var plan = flashsale.client.bench.BurstPlan.of("skew", ModesFixture.REGIONS, 200, 40_000, Map.of(), 7)
        .sends().stream().filter(s -> s.region().equals("near") || s.requestId().matches(".*-far-[0-7]")).toList();
    RunResult run = flashsale.client.bench.ModeRun.run(fx.admin, fx.driver, EventMode.EVENT_MODE_SHARDED, "skew", 80,
        ModesFixture.REGIONS, new flashsale.client.bench.BurstPlan(plan));
    List<RequestRecord> records = run.records();
    assertEquals(List.of(), records.stream().filter(r -> !r.decided()).map(r -> r.requestId() + " " + r.errorCode())
        .toList(), "every purchase decided: held ones win borrowed stock or lose only once all is sold");
    long nearWins = records.stream().filter(r -> r.won() && r.region().equals("near")).count();
    assertEquals(80, records.stream().filter(RequestRecord::won).count(), "the whole stock sells, not a unit more");
    assertTrue(nearWins > 40, "near must have borrowed beyond its own 40: " + nearWins);

    EventSpec spec = fx.store.findEvent("skew").orElseThrow();
    try (var near = new RedisPoolStore(fx.nearShard.uri()); var far = new RedisPoolStore(fx.farShard.uri())) {
      EventAccount account = EventAccount.of(List.of(near.shard(spec, "near").snapshot(), far.shard(spec, "far").snapshot()));
      assertEquals(new EventAccount(0, 80, 0, 0), account.requireConserved(80));
    }
    System.out.printf("SHARDED skewed burst: near won %d (shard 40), far %d%n", nearWins, 80 - nearWins);
  }
}
