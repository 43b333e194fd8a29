package flashsale.client.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Several runs measured side by side under one clock bound, e.g. the same workload against
 * GLOBAL_ORDER, SHARDED and CENTRAL. A demo builds one with {@link #of} and prints {@link #table()}
 * or calls {@link #writeHtml}.
 *
 * @param clockBoundMicros arrival-time differences at or below this are ties for inversions
 * @param metrics one entry per run, same order as {@code runs}
 * @param settings the run's settings as shown to a reader (stock, delays, seed, ...), in order
 */
public record FairnessReport(long clockBoundMicros, List<RunResult> runs, List<RunMetrics> metrics, List<Setting> settings) {
  /** Default clock bound: a typical NTP error budget on a LAN. */
  public static final long DEFAULT_CLOCK_BOUND_MICROS = 1_000;

  /** One line of the settings block. */
  public record Setting(String name, String value) {
    public Setting {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
    }
  }

  public FairnessReport {
    runs = List.copyOf(runs);
    metrics = List.copyOf(metrics);
    settings = List.copyOf(settings);
    if (runs.isEmpty() || runs.size() != metrics.size()) {
      throw new IllegalArgumentException(
          "a report needs at least one run and one metrics entry per run, got " + runs.size() + " and " + metrics.size());
    }
  }

  /** Measures every run; labels should be distinct, they head the columns. */
  public static FairnessReport of(List<RunResult> runs, long clockBoundMicros) {
    return of(runs, clockBoundMicros, List.of());
  }

  /** As above, with the settings the report shows. */
  public static FairnessReport of(List<RunResult> runs, long clockBoundMicros, List<Setting> settings) {
    return new FairnessReport(
        clockBoundMicros, runs, runs.stream().map(r -> RunMetrics.measure(r, clockBoundMicros)).toList(), settings);
  }

  /** The plain-text table, one column per run. */
  public String table() {
    return ReportTable.text(this);
  }

  /** Which run was fairest, by how much, against which truth, in a sentence or three. */
  public String verdict() {
    return Verdict.of(metrics, clockBoundMicros);
  }

  /** Writes the self-contained HTML report (table and embedded PNG charts) to {@code file}. */
  public void writeHtml(Path file) throws IOException {
    HtmlReport.write(this, file);
  }
}
