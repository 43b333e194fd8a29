package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.bench.CompareCommand;
import flashsale.client.report.FairnessReport;
import flashsale.client.report.RunMetrics;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * All three modes on one workload: near and far (30 ms) regions, the far region's users sending
 * 10 ms earlier on average. Global order must be the fairest by winner precision and inversions;
 * the table shows what each mode scored.
 */
class ModeComparisonTest {

  @Test
  void globalOrderIsTheFairestOfTheThreeModes() throws Exception {
    try (var fx = new ModesFixture()) {
      // warm-up: JIT, connections; a cold JVM stamps its first bursts milliseconds late
      CompareCommand.compare(fx.cluster, 1_000, 1_000, 400, Map.of(), 1);
      FairnessReport report = CompareCommand.compare(fx.cluster, 100, 300, 40, Map.of("far", 10_000L), 42);
      System.out.println(report.table());
      RunMetrics global = report.metrics().get(0);
      RunMetrics sharded = report.metrics().get(1);
      RunMetrics central = report.metrics().get(2);
      for (RunMetrics m : report.metrics()) {
        assertEquals(100, m.won(), m.label() + " sells exactly the stock");
        assertEquals(0, m.errors() + m.pending(), m.label() + " decides every purchase");
      }
      assertTrue(global.winnerPrecision() > sharded.winnerPrecision(), "precision: global vs sharded");
      assertTrue(global.winnerPrecision() > central.winnerPrecision(), "precision: global vs central");
      assertTrue(global.inversions().share() < sharded.inversions().share(), "inversions: global vs sharded");
      assertTrue(global.inversions().share() < central.inversions().share(), "inversions: global vs central");
    }
  }
}
