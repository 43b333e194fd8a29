package flashsale.client.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * Writes the report as one self-contained HTML file: the metrics table, then the charts as PNGs
 * embedded in {@code data:} URIs, so the file can be mailed or archived with nothing beside it.
 */
final class HtmlReport {
  private static final String STYLE =
      "body{font-family:sans-serif;margin:2em;max-width:80em}"
          + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .8em;text-align:right}"
          + "td:first-child,th:first-child{text-align:left}img{margin:.5em;border:1px solid #eee}"
          + ".verdict{font-size:1.15em;background:#f4f8ec;border-left:4px solid #6a9f2a;padding:.6em 1em}"
          + "table.settings th{text-align:left;font-weight:normal;color:#555}table.settings td{text-align:left}";

  private HtmlReport() {}

  static void write(FairnessReport report, Path file) throws IOException {
    // Charts render with Java2D; without a display the JDK must not try to open one.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
    StringBuilder html = new StringBuilder();
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>Flash-sale fairness report</title><style>").append(STYLE).append("</style></head><body>\n")
        .append("<h1>Flash-sale fairness report</h1>\n")
        .append("<p class=\"verdict\">").append(escape(report.verdict())).append("</p>\n");
    if (!report.settings().isEmpty()) {
      html.append("<h2>Settings</h2>\n<table class=\"settings\">\n");
      for (FairnessReport.Setting s : report.settings()) {
        html.append("<tr><th>").append(escape(s.name())).append("</th><td>").append(escape(s.value())).append("</td></tr>\n");
      }
      html.append("</table>\n");
    }
    html.append("<h2>Figures</h2>\n")
        .append("<p>Ground truth: when each request's bytes reached its region's socket, as a zero-delay tap in front of ")
        .append("the region saw them (\"wire\"); a run whose requests the tap did not all see falls back to the load ")
        .append("generator's send time and says so. Ideal winners: the first N decided requests by that time, N = actual ")
        .append("winners. Pairs at most ").append(report.clockBoundMicros())
        .append(" µs apart count as ties for inversions, and two losses after the last win are not compared (once ")
        .append("the stock is gone, an event without a waitlist answers them as they come: their order decides nothing). ")
        .append("Stamp lag: the region's arrival stamp minus the wire arrival, ")
        .append("the whole error budget of ranking by stamps. The send-time rows are the load generator's view.</p>\n");
    appendTable(html, ReportTable.rows(report));
    html.append("<h2>Decided rank vs arrival</h2>\n")
        .append("<p>Red line: the stock cut-off (ranks at or below it won). Grey line: the ideal cut-off, the N-th ")
        .append("arrival. In a fair sale every point left of the grey line sits below the red one.</p>\n");
    for (int i = 0; i < report.runs().size(); i++) {
      RunResult run = report.runs().get(i);
      appendChart(html, Charts.rankVersusArrival(run, report.metrics().get(i)), run.label() + ": no decided requests");
    }
    html.append("<h2>Win share by region, actual vs ideal</h2>\n");
    for (RunMetrics run : report.metrics()) {
      appendChart(html, Charts.winShare(run), run.label() + ": nobody won");
    }
    html.append("<h2>Stamp lag</h2>\n");
    appendChart(html, Charts.stampLagDistribution(report.runs()), "no request was seen by a tap");
    html.append("<h2>Decision latency distribution</h2>\n");
    appendChart(html, Charts.latencyDistribution(report.runs()), "no decided requests");
    html.append("</body></html>\n");
    Files.writeString(file, html, StandardCharsets.UTF_8);
  }

  private static void appendTable(StringBuilder html, List<List<String>> rows) {
    html.append("<table>\n");
    for (int r = 0; r < rows.size(); r++) {
      String cell = r == 0 ? "th" : "td";
      html.append("<tr>");
      for (String value : rows.get(r)) {
        html.append('<').append(cell).append('>').append(escape(value)).append("</").append(cell).append('>');
      }
      html.append("</tr>\n");
    }
    html.append("</table>\n");
  }

  private static void appendChart(StringBuilder html, Chart<?, ?> chart, String whenEmpty) throws IOException {
    if (chart.getSeriesMap().isEmpty()) {
      html.append("<p>").append(escape(whenEmpty)).append("</p>\n");
      return;
    }
    byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    html.append("<img alt=\"").append(escape(chart.getTitle())).append("\" src=\"data:image/png;base64,")
        .append(Base64.getEncoder().encodeToString(png)).append("\">\n");
  }

  static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
