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
          + "td:first-child,th:first-child{text-align:left}img{margin:.5em;border:1px solid #eee}";

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
        .append("<p>Ground truth: each request's true send time from the load generator's clock. ")
        .append("Ideal winners: the first N decided requests by that time, N = actual winners. ")
        .append("Pairs whose send times are at most ").append(report.clockBoundMicros())
        .append(" µs apart count as ties for inversions.</p>\n");
    appendTable(html, ReportTable.rows(report));
    html.append("<h2>Win share by region, actual vs ideal</h2>\n");
    for (RunMetrics run : report.metrics()) {
      appendChart(html, Charts.winShare(run), run.label() + ": nobody won");
    }
    html.append("<h2>Decision latency distribution</h2>\n");
    appendChart(html, Charts.latencyDistribution(report.runs()), "no decided requests");
    html.append("<h2>Decided rank vs true send time</h2>\n");
    for (RunResult run : report.runs()) {
      appendChart(html, Charts.rankVersusSendTime(run), run.label() + ": no decided requests");
    }
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
