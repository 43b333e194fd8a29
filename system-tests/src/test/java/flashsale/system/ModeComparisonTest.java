package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.core.SequencerConfig;
import flashsale.client.bench.CompareCommand;
import flashsale.client.report.FairnessReport;
import flashsale.client.report.RunMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * All three modes on one workload: near and far (30 ms) regions, the far region's users sending
 * 10 ms earlier on average. Global order must be the fairest: it never misorders beyond the
 * near-tie band, it has the fewest inversions, and it beats every mode on winner precision that
 * misorders beyond the band. The table shows what each mode scored (each attempt's is kept in
 * target/mode-comparison).
 */
class ModeComparisonTest {

  @Test
  void globalOrderIsTheFairestOfTheThreeModes() throws Exception {
    try (var fx = new ModesFixture()) {
      // warm-up: JIT, connections; a cold JVM stamps its first bursts milliseconds late
      CompareCommand.compare(fx.cluster, 1_000, 1_000, 400, Map.of(), 1);
      FairnessReport report = CompareCommand.compare(fx.cluster, 100, 300, 40, Map.of("far", 10_000L), 42);
      System.out.println(report.table());
      // Each attempt's table in a file of its own: surefire's output of a rerun replaces the first run's.
      Path tables = Files.createDirectories(Path.of("target", "mode-comparison"));
      Files.writeString(tables.resolve("run-" + System.currentTimeMillis() + ".txt"), report.table());
      RunMetrics global = report.metrics().get(0);
      RunMetrics sharded = report.metrics().get(1);
      RunMetrics central = report.metrics().get(2);
      for (RunMetrics m : report.metrics()) {
        assertEquals(100, m.won(), m.label() + " sells exactly the stock");
        assertEquals(0, m.errors() + m.pending(), m.label() + " decides every purchase");
      }
      // Winner precision also counts the pairs the near-tie lottery orders by design: when the
      // burst puts both regions' buyers within each other's band at the cut, GLOBAL_ORDER's misses
      // are draws. So it must never misorder beyond the band, and beat each other mode on precision
      // unless that mode misordered beyond it (a SHARDED split can land near the ideal by chance).
      long bandMicros = 2 * SequencerConfig.DEFAULT_MAX_ERROR_BOUND_MICROS;
      assertTrue(global.latestWinnerAfterEarliestLoserMicros() <= bandMicros, "global misordered beyond the near-tie band: "
          + global.latestWinnerAfterEarliestLoserMicros() + " µs");
      for (RunMetrics other : List.of(sharded, central)) {
        assertTrue(global.winnerPrecision() > other.winnerPrecision()
            || other.latestWinnerAfterEarliestLoserMicros() > bandMicros, "precision: global " + global.winnerPrecision()
            + " vs " + other.label() + " " + other.winnerPrecision() + ", which misordered only inside the band");
      }
      assertTrue(global.inversions().share() < sharded.inversions().share(), "inversions: global vs sharded");
      assertTrue(global.inversions().share() < central.inversions().share(), "inversions: global vs central");
    }
  }
}
