package flashsale.client.report;

import flashsale.client.load.RequestRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;

/**
 * The report's XChart plots. A chart with no data gets no series; the HTML report shows a note in
 * its place, since XChart cannot draw an empty series.
 */
final class Charts {
  private static final int WIDTH = 720;
  private static final int HEIGHT = 420;

  private Charts() {}

  /** Per region, the actual share of winners next to the ideal share, in percent. */
  static CategoryChart winShare(RunMetrics run) {
    CategoryChart chart =
        new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
            .title("Win share by region: " + run.label())
            .xAxisTitle("region").yAxisTitle("share of winners (%)").build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    List<RegionShare> shares = run.regionShares().stream().filter(s -> !Double.isNaN(s.idealShare())).toList();
    if (!shares.isEmpty()) {
      List<String> regions = shares.stream().map(RegionShare::region).toList();
      chart.addSeries("actual", regions, shares.stream().map(s -> s.actualShare() * 100).toList());
      chart.addSeries("ideal", regions, shares.stream().map(s -> s.idealShare() * 100).toList());
    }
    return chart;
  }

  /** Cumulative distribution of decision latency, one line per run. */
  static XYChart latencyDistribution(List<RunResult> runs) {
    XYChart chart =
        new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Decision latency")
            .xAxisTitle("latency (ms)").yAxisTitle("requests decided within (%)").build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    chart.getStyler().setMarkerSize(0);
    for (RunResult run : runs) {
      Histogram histogram = FairnessMetrics.latencyHistogram(run.records());
      if (histogram.getTotalCount() == 0) {
        continue;
      }
      List<Double> latencyMillis = new ArrayList<>();
      List<Double> percentiles = new ArrayList<>();
      for (HistogramIterationValue v : histogram.percentiles(5)) {
        latencyMillis.add(v.getValueIteratedTo() / 1000.0);
        percentiles.add(v.getPercentileLevelIteratedTo());
      }
      chart.addSeries(run.label(), latencyMillis, percentiles);
    }
    return chart;
  }

  /**
   * Each decided request's rank against its arrival under the run's truth, one colour per region,
   * with the stock cut-off (rank N: at or below it won) and the ideal cut-off (the N-th arrival)
   * drawn across. A fair run climbs as one line and its winners fill the lower-left corner; a
   * biased one shows a region's points lifted above the others.
   */
  static XYChart rankVersusArrival(RunResult run, RunMetrics metrics) {
    Truth truth = metrics.truth();
    String what = truth == Truth.WIRE ? "wire arrival at the region" : "send time";
    XYChart chart =
        new XYChartBuilder().width(WIDTH).height(HEIGHT)
            .title("Decided rank vs " + what + ": " + run.label())
            .xAxisTitle(what + " since the first request (ms)").yAxisTitle("decided rank").build();
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    chart.getStyler().setMarkerSize(4);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    List<RequestRecord> decided = FairnessMetrics.decidedInOrder(run.records(), truth);
    if (decided.isEmpty()) {
      return chart;
    }
    long firstMicros = truth.micros(decided.get(0));
    // losses answered by a region's sold-out fast path carry no rank to plot
    List<RequestRecord> ranked = decided.stream().filter(r -> r.rank() > 0 && r.rank() != Long.MAX_VALUE).toList();
    Map<String, List<RequestRecord>> byRegion =
        ranked.stream().collect(Collectors.groupingBy(RequestRecord::region, TreeMap::new, Collectors.toList()));
    byRegion.forEach(
        (region, records) ->
            chart.addSeries(
                region,
                records.stream().map(r -> (truth.micros(r) - firstMicros) / 1000.0).toList(),
                records.stream().map(r -> (double) r.rank()).toList()));
    long stock = metrics.won();
    if (stock > 0 && !ranked.isEmpty()) {
      double lastMillis = (truth.micros(decided.get(decided.size() - 1)) - firstMicros) / 1000.0;
      double maxRank = ranked.stream().mapToLong(RequestRecord::rank).max().orElse(stock);
      line(chart, "stock cut-off: rank " + stock + " and better won", List.of(0.0, lastMillis), List.of((double) stock, (double) stock));
      double idealMillis = (truth.micros(decided.get((int) Math.min(stock, decided.size()) - 1)) - firstMicros) / 1000.0;
      line(chart, "ideal cut-off: " + stock + "th arrival", List.of(idealMillis, idealMillis), List.of(0.0, maxRank));
    }
    return chart;
  }

  private static void line(XYChart chart, String name, List<Double> x, List<Double> y) {
    XYSeries series = chart.addSeries(name, x, y);
    series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    series.setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
    series.setLineColor(name.startsWith("stock") ? java.awt.Color.RED : java.awt.Color.DARK_GRAY);
  }

  /** Cumulative distribution of stamp lag (stamp minus wire arrival), one line per run and region. */
  static XYChart stampLagDistribution(List<RunResult> runs) {
    XYChart chart =
        new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Stamp lag: region stamp minus wire arrival")
            .xAxisTitle("stamp lag (ms)").yAxisTitle("requests stamped within (%)").build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    chart.getStyler().setMarkerSize(0);
    for (RunResult run : runs) {
      Map<String, List<RequestRecord>> byRegion = run.records().stream()
          .filter(r -> r.seenOnWire() && r.arrivalMicros() > 0)
          .collect(Collectors.groupingBy(RequestRecord::region, TreeMap::new, Collectors.toList()));
      byRegion.forEach((region, records) -> {
        long[] lags = records.stream().mapToLong(RequestRecord::stampLagMicros).sorted().toArray();
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        int step = Math.max(1, lags.length / 200);
        for (int i = 0; i < lags.length; i += step) {
          x.add(lags[i] / 1000.0);
          y.add(100.0 * (i + 1) / lags.length);
        }
        x.add(lags[lags.length - 1] / 1000.0);
        y.add(100.0);
        chart.addSeries(run.label() + " " + region, x, y);
      });
    }
    return chart;
  }
}
