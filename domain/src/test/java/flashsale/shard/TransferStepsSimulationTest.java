package flashsale.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random interleavings of sales, rebalancing and transfers that crash between their steps, on the
 * in-memory ledger. After every step the stock must be conserved; at the end, with demand above
 * stock, everything must be sold. A failure names its seed; rerun with it to replay.
 */
class TransferStepsSimulationTest {
  private static final List<String> REGIONS = List.of("near", "far", "quiet");

  /** A backend that dies (throws) after step 1 whenever the schedule says so. */
  private static final class CrashAfterDebit implements ShardBackend {
    private final ShardBackend inner;
    private final SplittableRandom random;

    CrashAfterDebit(ShardBackend inner, SplittableRandom random) {
      this.inner = inner;
      this.random = random;
    }

    @Override
    public String region() {
      return inner.region();
    }

    @Override
    public DebitResult debit(String transferId, long units, String target) {
      DebitResult result = inner.debit(transferId, units, target);
      if (random.nextInt(3) == 0) throw new IllegalStateException("rebalancer killed after debit of " + transferId);
      return result;
    }

    @Override
    public boolean credit(String transferId, long units) {
      return inner.credit(transferId, units);
    }

    @Override
    public void settle(String transferId) {
      inner.settle(transferId);
    }

    @Override
    public void forgetCredit(String transferId) {
      inner.forgetCredit(transferId);
    }

    @Override
    public ShardSnapshot snapshot() {
      return inner.snapshot();
    }
  }

  @Test
  void stockIsConservedAndSellsOutUnderCrashes() {
    long base = System.nanoTime();
    for (int run = 0; run < 200; run++) {
      long seed = base + run;
      try {
        simulate(seed);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("seed=" + seed + ": " + e.getMessage(), e);
      }
    }
  }

  private static void simulate(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, Long> initial = new LinkedHashMap<>();
    REGIONS.forEach(r -> initial.put(r, (long) random.nextInt(0, 20)));
    ShardLedger ledger = new ShardLedger(initial);
    Map<String, ShardBackend> crashing = new LinkedHashMap<>();
    ledger.backends().forEach((region, b) -> crashing.put(region, new CrashAfterDebit(b, random)));
    Rebalancer rebalancer = new Rebalancer(100_000);
    long stock = ledger.stock();
    long sold = 0;
    int transfers = 0;
    // Demand above stock, mostly at "near"; "quiet" almost never buys.
    for (int step = 0; step < 400 && sold < stock; step++) {
      String region = random.nextInt(10) < 7 ? "near" : random.nextInt(10) < 9 ? "far" : "quiet";
      long units = random.nextInt(1, 3);
      if (ledger.sell(region, units)) sold += units;
      if (random.nextInt(4) == 0) {
        try {
          TransferSteps.recover(ledger.backends());
          var demands = demands(ledger, region, units);
          for (TransferPlan plan : rebalancer.plan(demands, java.util.Set.of())) {
            TransferSteps.transfer(crashing, plan, "t" + transfers++);
          }
        } catch (IllegalStateException killed) {
          // the rebalancer died mid-transfer; a new one recovers at its next turn
        }
      }
      ledger.account().requireConserved(stock);
    }
    // After the burst: a fresh rebalancer recovers and serves the last borrows until sold out.
    for (int round = 0; round < 50 && ledger.account().unsoldUnits() > 0; round++) {
      TransferSteps.recover(ledger.backends());
      for (String region : REGIONS) {
        while (ledger.sell(region, 1)) sold++;
        for (TransferPlan plan : rebalancer.plan(demands(ledger, region, 1), java.util.Set.of())) {
          TransferSteps.transfer(ledger.backends(), plan, "t" + transfers++);
        }
      }
    }
    EventAccount end = ledger.account().requireConserved(stock);
    assertEquals(0, end.inFlightUnits(), "every transfer completed");
    assertTrue(end.soldOut(), "demand above stock must sell out, left " + end.unsoldUnits());
    assertEquals(stock, end.soldUnits());
  }

  /** Every shard's figures, with {@code waitingRegion} waiting for {@code units} it cannot serve. */
  private static List<ShardDemand> demands(ShardLedger ledger, String waitingRegion, long units) {
    return ledger.backends().values().stream().map(b -> {
      long remaining = b.snapshot().remainingUnits();
      long waiting = b.region().equals(waitingRegion) && remaining < units ? units : 0;
      return new ShardDemand(b.region(), remaining, waiting, b.region().equals("near") ? 50 : 0);
    }).toList();
  }
}
