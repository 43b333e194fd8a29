package flashsale.client.report;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The report's verdict in words: which run was fairest (highest winner precision, then fewest
 * inversions), by how much, and against which truth. Pure: a function of the metrics.
 */
final class Verdict {
  private Verdict() {}

  /** @param clockBoundMicros arrival-time differences at or below this are ties no clock can order */
  static String of(List<RunMetrics> runs, long clockBoundMicros) {
    List<RunMetrics> judged = runs.stream().filter(m -> !Double.isNaN(m.winnerPrecision())).toList();
    if (judged.isEmpty()) return "No run sold anything, so none can be judged.";
    RunMetrics best = judged.stream()
        .max(Comparator.comparingDouble(RunMetrics::winnerPrecision)
            .thenComparing(m -> -share(m.inversions())))
        .orElseThrow();
    List<String> offWire = judged.stream().filter(m -> m.truth() != Truth.WIRE).map(RunMetrics::label).toList();
    String truth = offWire.isEmpty()
        ? "Against the wire truth (when each request's bytes reached its region)"
        : "Against the wire truth where the taps saw every request, and the load generator's send time for "
            + String.join(", ", offWire) + " (the taps did not see all of its requests)";
    StringBuilder text = new StringBuilder(truth).append(", ");
    List<RunMetrics> others = judged.stream().filter(m -> m != best).toList();
    if (others.isEmpty()) {
      text.append(String.format(Locale.ROOT, "%s's winner precision was %.3f with %s of pairs inverted.",
          best.label(), best.winnerPrecision(), percent(best.inversions())));
    } else {
      text.append(String.format(Locale.ROOT, "%s was the fairest: winner precision %.3f, ", best.label(), best.winnerPrecision()))
          .append(others.stream().map(o -> String.format(Locale.ROOT, "%+.3f over %s (%.3f)",
              best.winnerPrecision() - o.winnerPrecision(), o.label(), o.winnerPrecision())).collect(Collectors.joining(", ")))
          .append(String.format(Locale.ROOT, "; inversions %s against ", percent(best.inversions())))
          .append(others.stream().map(o -> percent(o.inversions()) + " (" + o.label() + ")").collect(Collectors.joining(", ")))
          .append('.');
    }
    long gapMicros = best.latestWinnerAfterEarliestLoserMicros();
    if (best.winnerPrecision() < 1 && gapMicros > 0) {
      // A precision below 1 reads as unfair; say how far from the cut the misses were, beside the others'.
      text.append(String.format(Locale.ROOT, " Where %s missed, the last winner arrived %.1f ms after the first loser",
          best.label(), gapMicros / 1000.0));
      if (!others.isEmpty()) {
        text.append(others.stream().map(o -> String.format(Locale.ROOT, "%s: %.1f ms", o.label(),
            Math.max(0, o.latestWinnerAfterEarliestLoserMicros()) / 1000.0))
            .collect(Collectors.joining(", ", " (", ")")));
      }
      // Two tickets each within a clock bound of the truth can be up to twice it apart and still tie.
      text.append(gapMicros <= 2 * clockBoundMicros
          ? ": requests that close can be within each other's clock bounds, and the near-tie lottery draws among them."
          : ".");
    }
    if (!best.stampLags().isEmpty()) {
      StampLag worst = best.stampLags().stream().max(Comparator.comparingLong(StampLag::p99Micros)).orElseThrow();
      text.append(String.format(Locale.ROOT, " %s's regions stamped requests at most %.1f ms (p99, region %s) and %.1f ms (max) after their bytes arrived.",
          best.label(), worst.p99Micros() / 1000.0, worst.region(),
          best.stampLags().stream().mapToLong(StampLag::maxMicros).max().orElse(0) / 1000.0));
    }
    return text.toString();
  }

  private static double share(InversionCount c) {
    return Double.isNaN(c.share()) ? 1 : c.share();
  }

  private static String percent(InversionCount c) {
    return ReportTable.percent(c.share());
  }
}
