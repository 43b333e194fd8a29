package flashsale.client.report;

import flashsale.client.cli.TextTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The report's table: one row per metric, one column per run. Built once as cells, then rendered
 * as aligned text or as HTML, so the two always show the same figures. Fairness rows come first,
 * judged against the wire truth where a tap saw every request; the send-time view follows.
 */
final class ReportTable {
  private ReportTable() {}

  /** Header row first; every row has one cell per run after the metric name. */
  static List<List<String>> rows(FairnessReport report) {
    List<RunMetrics> runs = report.metrics();
    List<List<String>> rows = new ArrayList<>();
    rows.add(row("metric", runs, RunMetrics::label));
    rows.add(row("requests", runs, m -> Long.toString(m.requests())));
    rows.add(row("won / lost", runs, m -> m.won() + " / " + m.lost()));
    rows.add(row("pending / errors", runs, m -> m.pending() + " / " + m.errors()));
    rows.add(row("ideal ranked by", runs, m -> m.truth() == Truth.WIRE ? "wire" : "send (" + m.decidedOffWire() + " off wire)"));
    rows.add(row("winner precision", runs, m -> ratio(m.winnerPrecision())));
    // Precision breaks a tie at the cut in the system's favour: how large it was.
    rows.add(row("tied at the cut / places there", runs, m -> m.cutTie().requests() + " / " + m.cutTie().places()));
    rows.add(row("inversions (> " + report.clockBoundMicros() + " µs apart)", runs,
        m -> percent(m.inversions().share()) + " of " + m.inversions().comparedPairs()));
    rows.add(row("last winner after first loser (ms)", runs, m -> millis(m.latestWinnerAfterEarliestLoserMicros())));
    TreeSet<String> regions = new TreeSet<>();
    runs.forEach(m -> m.regionShares().forEach(s -> regions.add(s.region())));
    runs.forEach(m -> m.stampLags().forEach(s -> regions.add(s.region())));
    for (String region : regions) {
      rows.add(row("win share " + region + " actual/ideal", runs, m -> m.regionShares().stream()
          .filter(s -> s.region().equals(region))
          .findFirst()
          .map(s -> percent(s.actualShare()) + " / " + percent(s.idealShare()))
          .orElse("-")));
    }
    for (String region : regions) {
      rows.add(row("stamp lag " + region + " p50/p99/max (ms)", runs, m -> lag(m, region)
          .map(l -> millis(l.p50Micros()) + " / " + millis(l.p99Micros()) + " / " + millis(l.maxMicros()))
          .orElse("-")));
    }
    rows.add(row("winner precision by send time", runs, m -> ratio(m.sendWinnerPrecision())));
    rows.add(row("inversions by send time", runs, m -> percent(m.sendInversions().share())));
    rows.add(row("latency p50 (ms)", runs, m -> millis(m.latencyP50Micros())));
    rows.add(row("latency p99 (ms)", runs, m -> millis(m.latencyP99Micros())));
    rows.add(row("throughput (decided/s)", runs, m -> String.format(Locale.ROOT, "%.1f", m.throughputPerSecond())));
    return rows;
  }

  static Optional<StampLag> lag(RunMetrics m, String region) {
    return m.stampLags().stream().filter(s -> s.region().equals(region)).findFirst();
  }

  /** The table as aligned text. */
  static String text(FairnessReport report) {
    return TextTable.render(rows(report));
  }

  static String ratio(double value) {
    return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%.3f", value);
  }

  static String percent(double share) {
    return Double.isNaN(share) ? "n/a" : String.format(Locale.ROOT, "%.1f%%", share * 100);
  }

  static String millis(long micros) {
    return String.format(Locale.ROOT, "%.3f", micros / 1000.0);
  }

  private static List<String> row(String name, List<RunMetrics> runs, Function<RunMetrics, String> cell) {
    List<String> row = new ArrayList<>();
    row.add(name);
    runs.forEach(m -> row.add(cell.apply(m)));
    return row;
  }
}
