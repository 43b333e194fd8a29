package flashsale.client.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Several runs measured side by side under one clock bound, e.g. the same workload against
 * GLOBAL_ORDER, SHARDED and CENTRAL. A demo builds one with {@link #of} and prints {@link #table()}
 * or calls {@link #writeHtml}.
 *
 * @param clockBoundMicros send-time differences at or below this are ties for inversions
 * @param metrics one entry per run, same order as {@code runs}
 */
public record FairnessReport(long clockBoundMicros, List<RunResult> runs, List<RunMetrics> metrics) {
  /** Default clock bound: a typical NTP error budget on a LAN. */
  public static final long DEFAULT_CLOCK_BOUND_MICROS = 1_000;

  public FairnessReport {
    runs = List.copyOf(runs);
    metrics = List.copyOf(metrics);
    if (runs.isEmpty() || runs.size() != metrics.size()) {
      throw new IllegalArgumentException(
          "a report needs at least one run and one metrics entry per run, got " + runs.size() + " and " + metrics.size());
    }
  }

  /** Measures every run; labels should be distinct, they head the columns. */
  public static FairnessReport of(List<RunResult> runs, long clockBoundMicros) {
    return new FairnessReport(
        clockBoundMicros, runs, runs.stream().map(r -> RunMetrics.measure(r, clockBoundMicros)).toList());
  }

  /** The plain-text table, one column per run. */
  public String table() {
    return ReportTable.text(this);
  }

  /** Writes the self-contained HTML report (table and embedded PNG charts) to {@code file}. */
  public void writeHtml(Path file) throws IOException {
    HtmlReport.write(this, file);
  }
}
