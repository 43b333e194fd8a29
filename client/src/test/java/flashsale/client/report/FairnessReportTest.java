package flashsale.client.report;

import static flashsale.client.report.Records.decided;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.load.RequestRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FairnessReportTest {
  private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};

  private static List<RequestRecord> run(boolean biased) {
    List<RequestRecord> records = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String region = i % 2 == 0 ? "near" : "far";
      // Biased: every near request ranks ahead of every far one.
      long rank = biased ? (i % 2 == 0 ? i / 2 + 1 : 20 + i / 2 + 1) : i + 1;
      records.add(decided("r" + i, region, i * 2_000L, rank, rank <= 10));
    }
    return records;
  }

  @Test
  void tableShowsOneColumnPerRunWithItsFigures() {
    FairnessReport report = FairnessReport.of(
        List.of(new RunResult("GLOBAL_ORDER", run(false)), new RunResult("SHARDED", run(false)),
            new RunResult("CENTRAL", run(true))), 1_000);

    String table = report.table();
    String header = table.lines().findFirst().orElseThrow();
    assertTrue(header.matches("metric\\s+GLOBAL_ORDER\\s+SHARDED\\s+CENTRAL"), header);
    String precision = table.lines().filter(l -> l.startsWith("winner precision")).findFirst().orElseThrow();
    assertTrue(precision.matches("winner precision\\s+1\\.000\\s+1\\.000\\s+0\\.500"), precision);
    String far = table.lines().filter(l -> l.startsWith("win share far")).findFirst().orElseThrow();
    assertTrue(far.endsWith("0.0% / 50.0%"), far);
    assertEquals(3, report.metrics().size());
  }

  @Test
  void theVerdictSaysHowFarFromTheCutTheFairestRunMissed() {
    List<RequestRecord> nearTie = new ArrayList<>(run(false));
    // r9 (sent at 18.0 ms) and r10 (at 20.0 ms) swap places across the cut of 10 winners.
    nearTie.set(9, decided("r9", "far", 18_000, 11, false));
    nearTie.set(10, decided("r10", "near", 20_000, 10, true));
    FairnessReport report = FairnessReport.of(
        List.of(new RunResult("GLOBAL_ORDER", nearTie), new RunResult("CENTRAL", run(true))), 1_000);

    String verdict = report.verdict();
    assertTrue(verdict.contains("GLOBAL_ORDER was the fairest"), verdict);
    assertTrue(verdict.contains("Where GLOBAL_ORDER missed, the last winner arrived 2.0 ms after the first loser"
        + " (CENTRAL: 34.0 ms): requests that close can be within each other's clock bounds"), verdict);
    // With a tighter bound the same 2 ms gap is not excused as a tie; a perfect run says nothing of misses.
    String tight = FairnessReport.of(List.of(new RunResult("GLOBAL_ORDER", nearTie), new RunResult("CENTRAL", run(true))), 500)
        .verdict();
    assertTrue(tight.contains("after the first loser (CENTRAL: 34.0 ms).") && !tight.contains("lottery"), tight);
    String perfect = FairnessReport.of(List.of(new RunResult("GLOBAL_ORDER", run(false)), new RunResult("CENTRAL", run(true))),
        1_000).verdict();
    assertTrue(!perfect.contains("missed"), perfect);
  }

  @Test
  void htmlReportEmbedsEveryChartAsPng(@TempDir Path dir) throws Exception {
    FairnessReport report = FairnessReport.of(
        List.of(new RunResult("GLOBAL_ORDER", run(false)), new RunResult("CENTRAL", run(true))), 1_000);
    Path html = dir.resolve("report.html");

    report.writeHtml(html);

    String page = Files.readString(html);
    Matcher images = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(page);
    int count = 0;
    while (images.find()) {
      byte[] png = Base64.getDecoder().decode(images.group(1));
      assertArrayEquals(PNG_MAGIC, Arrays.copyOf(png, 4));
      count++;
    }
    // Win share per run (2), latency distribution (1), rank vs send time per run (2).
    assertEquals(5, count);
    assertTrue(page.contains("<th>CENTRAL</th>"), "table in page");
  }

  @Test
  void runWithoutDecisionsStillRenders(@TempDir Path dir) throws Exception {
    FairnessReport report = FairnessReport.of(
        List.of(new RunResult("DOWN", List.of(Records.failed("x", "near", 5)))), 1_000);
    Path html = dir.resolve("empty.html");

    report.writeHtml(html);

    assertTrue(report.table().contains("n/a"));
    assertTrue(Files.readString(html).contains("DOWN: no decided requests"));
  }
}
