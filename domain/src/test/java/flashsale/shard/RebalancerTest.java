package flashsale.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RebalancerTest {
  private final Rebalancer rebalancer = new Rebalancer(1_000_000); // 1 s horizon

  @Test
  void movesStockToTheRegionThatRunsOutFirst() {
    var plans = rebalancer.plan(List.of(
        new ShardDemand("near", 10, 0, 100), // empty in 0.1 s, needs 90 more within the horizon
        new ShardDemand("far", 50, 0, 10)), Set.of()); // surplus 40
    assertEquals(List.of(new TransferPlan("far", "near", 40)), plans);
  }

  @Test
  void aBorrowTakesEvenStockAQuietRegionExpectsToSell() {
    // near waits for 5; far expects to sell its 3 itself, but near's buyers are here now.
    var plans = rebalancer.plan(List.of(new ShardDemand("near", 0, 5, 0), new ShardDemand("far", 3, 0, 10)), Set.of());
    assertEquals(List.of(new TransferPlan("far", "near", 3)), plans);
  }

  @Test
  void noTransferWhenEveryoneCanServeTheirDemand() {
    assertEquals(List.of(), rebalancer.plan(List.of(new ShardDemand("a", 50, 0, 10), new ShardDemand("b", 50, 0, 10)),
        Set.of()));
  }

  @Test
  void aTargetWithATransferInFlightGetsNothingMore() {
    assertEquals(List.of(), rebalancer.plan(List.of(new ShardDemand("near", 0, 5, 0), new ShardDemand("far", 3, 0, 0)),
        Set.of("near")));
  }

  @Test
  void neverTakesStockHeldForTheDonorsOwnWaitingBuyers() {
    var plans = rebalancer.plan(List.of(new ShardDemand("a", 0, 4, 0), new ShardDemand("b", 3, 2, 0)), Set.of());
    assertEquals(List.of(new TransferPlan("b", "a", 1)), plans);
  }

  @Test
  void regionsEachShortForTheirOwnHeldPurchasesPoolTheirStockInTheOneHoldingMost() {
    // a holds 1 for a 2-unit purchase, b holds 2 for a 3-unit one: together they serve b's.
    var plans = rebalancer.plan(List.of(new ShardDemand("a", 1, 2, 0), new ShardDemand("b", 2, 3, 0),
        new ShardDemand("c", 0, 4, 0)), Set.of());
    assertEquals(List.of(new TransferPlan("a", "b", 1)), plans);
    assertEquals(List.of(), rebalancer.plan(List.of(new ShardDemand("a", 0, 2, 0), new ShardDemand("b", 3, 3, 0)),
        Set.of()), "pooled already: b serves its own");
    assertEquals(List.of(), rebalancer.plan(List.of(new ShardDemand("a", 1, 2, 0), new ShardDemand("b", 2, 3, 0)),
        Set.of("b")), "not while a transfer to b is in flight");
  }

  @Test
  void reportsGoStaleSoAQuietRegionBecomesADonor() {
    var reports = new ShardReports(1_000_000);
    reports.report(new ShardDemand("far", 9, 0, 500), 0);
    assertEquals(500, reports.demands(java.util.Map.of("far", 9L), 500_000).get(0).demandUnitsPerSecond());
    assertEquals(0, reports.demands(java.util.Map.of("far", 9L), 2_000_000).get(0).demandUnitsPerSecond());
  }
}
