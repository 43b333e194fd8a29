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
   * Each decided request's rank against its true send time, one colour per region. A fair run
   * climbs as one line; a biased one shows a region's points lifted above the others.
   */
  static XYChart rankVersusSendTime(RunResult run) {
    XYChart chart =
        new XYChartBuilder().width(WIDTH).height(HEIGHT)
            .title("Decided rank vs true send time: " + run.label())
            .xAxisTitle("true send time since first request (ms)").yAxisTitle("decided rank").build();
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    chart.getStyler().setMarkerSize(4);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    List<RequestRecord> decided = FairnessMetrics.decidedBySendTime(run.records());
    if (decided.isEmpty()) {
      return chart;
    }
    long firstSendMicros = decided.get(0).sendMicros();
    // losses answered by a region's sold-out fast path carry no rank to plot
    Map<String, List<RequestRecord>> byRegion =
        decided.stream().filter(r -> r.rank() > 0).collect(Collectors.groupingBy(RequestRecord::region, TreeMap::new, Collectors.toList()));
    byRegion.forEach(
        (region, records) ->
            chart.addSeries(
                region,
                records.stream().map(r -> (r.sendMicros() - firstSendMicros) / 1000.0).toList(),
                records.stream().map(r -> (double) r.rank()).toList()));
    return chart;
  }
}
