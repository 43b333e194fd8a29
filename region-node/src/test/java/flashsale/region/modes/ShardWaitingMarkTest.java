package flashsale.region.modes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.region.core.BuyRequest;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.store.memory.InMemoryShardStore;
import flashsale.v1.Outcome;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A purchase held at a SHARDED region marks the shard, so later first tries wait behind it. When
 * its hold runs out with no arbiter to answer the region's reports, the region clears the mark: a
 * later buyer is sold the shard's own units, where the mark left behind sent every later first try
 * through a hold of its own, answered "no stock arrived", with units on the shard.
 */
class ShardWaitingMarkTest {
  private static final long START = 1_767_225_600_000_000L;
  private static final EventSpec SPEC = new EventSpec("drop", "shoes", 10, START, START + 3_600_000_000L, 3,
      List.of("eu", "us"), SaleMode.SHARDED, 0, Map.of("eu", 2L, "us", 8L));
  private static final long HOLD_MS = 200;
  private static final long ANSWER_MS = 5_000;

  private final InMemoryShardStore store = new InMemoryShardStore();
  private final List<String> euUsers = ShardRegion.homeUsers(SPEC, 2);
  private ShardRegion region;

  @BeforeEach
  void start() throws Exception {
    region = new ShardRegion(store, ShardArbiterStub.unreachable(), HOLD_MS, 20);
  }

  @AfterEach
  void stop() throws Exception {
    region.close();
  }

  @Test
  void aHoldThatRunsOutWithoutAnArbiterLeavesNoMarkBehind() throws Exception {
    PurchaseAnswer big = buy(new BuyRequest("drop", euUsers.get(0), "big-1", 3), START + 1); // eu holds 2
    var expired = big.failure(ANSWER_MS);
    assertEquals("STOCK_IN_TRANSIT", flashsale.wire.Errors.reasonOf(expired).orElseThrow(), expired.toString());
    Thread.sleep(100); // the tick after the expiry clears the mark

    PurchaseAnswer small = buy(new BuyRequest("drop", euUsers.get(1), "small-1", 1), START + 2);
    assertEquals(Outcome.OUTCOME_WON, small.done.get(HOLD_MS / 2, TimeUnit.MILLISECONDS).getDecision().getOutcome(),
        "sold from eu's own units at once, not held behind the expired purchase's mark");
  }

  private PurchaseAnswer buy(BuyRequest buy, long stampMicros) {
    return region.buy(SPEC, buy, stampMicros);
  }
}
