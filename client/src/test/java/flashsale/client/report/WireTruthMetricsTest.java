package flashsale.client.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.load.RecordOutcome;
import flashsale.client.load.RequestRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fairness judged at the wire: a client that batches its writes sends in one order while its
 * requests reach the regions in another, and only the wire order says whether the system was fair.
 */
class WireTruthMetricsTest {

  /**
   * 20 requests; the generator sent them 1 ms apart alternating regions, but the far region's
   * client held its first 5 and wrote them after the rest (a batched write): they reached the wire
   * last. The system ranked by wire arrival (stamps 200 µs after it at "near", 3 ms at "far"), so
   * it was fair, and judged by send time it looks unfair.
   */
  static List<RequestRecord> batchedFarRun() {
    List<RequestRecord> records = new ArrayList<>();
    List<long[]> byWire = new ArrayList<>(); // index, wire time
    for (int i = 0; i < 20; i++) {
      boolean heldBack = i % 2 == 1 && i < 10;
      byWire.add(new long[] {i, 1_000_000L + (heldBack ? 50_000 + i * 100L : i * 1_000L)});
    }
    byWire.sort((a, b) -> Long.compare(a[1], b[1]));
    for (int rank = 1; rank <= 20; rank++) {
      int i = (int) byWire.get(rank - 1)[0];
      long wire = byWire.get(rank - 1)[1];
      String region = i % 2 == 0 ? "near" : "far";
      long stamp = wire + (region.equals("near") ? 200 : 3_000);
      records.add(new RequestRecord("r" + i, "u" + i, region, 1_000_000L + i * 1_000L, 0,
          rank <= 5 ? RecordOutcome.WON : RecordOutcome.LOST, rank, stamp, stamp + 100, 40_000, "", wire));
    }
    return records;
  }

  @Test
  void wireTruthClearsARunThatSendTimeWouldBlame() {
    List<RequestRecord> run = batchedFarRun();
    assertEquals(Truth.WIRE, Truth.of(run));
    assertEquals(1.0, FairnessMetrics.winnerPrecision(run, Truth.WIRE));
    assertEquals(0, FairnessMetrics.inversions(run, 0, Truth.WIRE).invertedPairs());
    assertEquals(0, FairnessMetrics.latestWinnerAfterEarliestLoserMicros(run, Truth.WIRE));
    assertTrue(FairnessMetrics.winnerPrecision(run, Truth.SEND) < 1.0, "by send time the far requests were early and lost");
    assertTrue(FairnessMetrics.latestWinnerAfterEarliestLoserMicros(run, Truth.SEND) > 0);
  }

  @Test
  void stampLagIsReportedPerRegion() {
    RunMetrics m = RunMetrics.measure(new RunResult("GLOBAL_ORDER", batchedFarRun()), 1_000);
    assertEquals(List.of(new StampLag("far", 10, 3_000, 3_000, 3_000, 3_000), new StampLag("near", 10, 200, 200, 200, 200)), m.stampLags());
    String table = FairnessReport.of(List.of(new RunResult("GLOBAL_ORDER", batchedFarRun())), 1_000).table();
    assertTrue(table.lines().anyMatch(l -> l.matches("stamp lag far p50/p99/max \\(ms\\)\\s+3\\.000 / 3\\.000 / 3\\.000")), table);
    assertTrue(table.lines().anyMatch(l -> l.matches("ideal ranked by\\s+wire")), table);
  }

  @Test
  void requestsInTheSameReadAsTheCutOffAreTiesButAnEarlierLoserIsAMiss() {
    // 4 requests: r0 alone in the first read, r1..r3 together in the second; stock 2
    List<RequestRecord> tiedFairly = List.of(
        rec("r0", 100, 1, true), rec("r1", 200, 2, false), rec("r2", 200, 3, true), rec("r3", 200, 4, false));
    assertEquals(1.0, FairnessMetrics.winnerPrecision(tiedFairly, Truth.WIRE), "any one of the tied may take the last unit");
    List<RequestRecord> earlyLoser = List.of(
        rec("r0", 100, 3, false), rec("r1", 200, 1, true), rec("r2", 200, 2, true), rec("r3", 200, 4, false));
    assertEquals(0.5, FairnessMetrics.winnerPrecision(earlyLoser, Truth.WIRE), "r0 came first and lost");
  }

  private static RequestRecord rec(String id, long wire, long rank, boolean won) {
    return new RequestRecord(id, "u" + id, "near", 1, 0, won ? RecordOutcome.WON : RecordOutcome.LOST, rank, wire + 10, 0, 0, "", wire);
  }

  @Test
  void stampLagPercentilesAreNearestRank() {
    List<RequestRecord> records = new ArrayList<>();
    for (int i = 1; i <= 200; i++) { // lags 1..200 µs
      records.add(new RequestRecord("r" + i, "u", "near", 0, 0, RecordOutcome.LOST, i, 10_000L + i, 0, 0, "", 10_000L));
    }
    StampLag lag = StampLag.byRegion(records).get(0);
    assertEquals(new StampLag("near", 200, 100, 198, 200, 1), lag);
  }

  @Test
  void aRequestTheTapMissedSendsTheJudgementBackToSendTime() {
    List<RequestRecord> run = new ArrayList<>(batchedFarRun());
    run.set(0, run.get(0).withWireMicros(0));
    assertEquals(Truth.SEND, Truth.of(run));
    assertThrows(IllegalArgumentException.class, () -> FairnessMetrics.winnerPrecision(run, Truth.WIRE));
    RunMetrics m = RunMetrics.measure(new RunResult("X", run), 1_000);
    assertEquals(1, m.decidedOffWire());
    assertTrue(FairnessReport.of(List.of(new RunResult("X", run)), 1_000).verdict().contains("send time for X"));
  }

  @Test
  void verdictNamesTheFairestModeAndByHowMuch(@TempDir Path dir) throws Exception {
    List<RequestRecord> fair = batchedFarRun();
    List<RequestRecord> biased = new ArrayList<>(); // the far region's 10 first, whatever the wire said
    List<RequestRecord> near = fair.stream().filter(r -> r.region().equals("near")).toList();
    List<RequestRecord> far = fair.stream().filter(r -> r.region().equals("far")).toList();
    List<RequestRecord> order = new ArrayList<>(far);
    order.addAll(near);
    for (int i = 0; i < order.size(); i++) {
      RequestRecord r = order.get(i);
      biased.add(new RequestRecord(r.requestId(), r.userId(), r.region(), r.sendMicros(), 0,
          i < 5 ? RecordOutcome.WON : RecordOutcome.LOST, i + 1, r.arrivalMicros(), 0, 1_000, "", r.wireMicros()));
    }
    FairnessReport report = FairnessReport.of(List.of(new RunResult("CENTRAL", biased), new RunResult("GLOBAL_ORDER", fair)), 1_000,
        List.of(new FairnessReport.Setting("stock", "5"), new FairnessReport.Setting("seed", "42")));
    String verdict = report.verdict();
    assertTrue(verdict.startsWith("Against the wire truth"), verdict);
    assertTrue(verdict.contains("GLOBAL_ORDER was the fairest: winner precision 1.000, +1.000 over CENTRAL (0.000)"), verdict);

    Path html = dir.resolve("r.html");
    report.writeHtml(html);
    String page = Files.readString(html);
    assertTrue(page.contains(HtmlReport.escape(verdict)), "the page states the verdict");
    assertTrue(page.contains("<tr><th>seed</th><td>42</td></tr>"), "the page shows the settings");
    assertTrue(page.contains("Decided rank vs wire arrival at the region: GLOBAL_ORDER"), "rank plots are against the wire");
  }

  /**
   * Stock 3 of 5 requests in wire order a, b, x, c, d; a and b lost, c and d won: 4 misranked.
   * Three are the lottery's (c and d ranked ahead of b's earlier stamp, and b behind them); a was
   * stamped 8 ms late, after every winner (stamping error).
   */
  @Test
  void misrankedRequestsAreSplitIntoLotteryDrawsAndStampingError() {
    List<RequestRecord> run = List.of(
        record("a", 1_000, 9_000, false), // stamped 8 ms late
        record("b", 2_000, 2_100, false),
        record("x", 2_500, 2_600, true),
        record("c", 3_000, 3_100, true),
        record("d", 4_000, 4_100, true));
    assertEquals(1.0 / 3, FairnessMetrics.winnerPrecision(run, Truth.WIRE), 1e-9);
    assertEquals(3, FairnessMetrics.misrankedByLottery(run, Truth.WIRE), "c and d went ahead of b, stamped earlier; a was stamped late");
    List<RequestRecord> onlyLate = List.of(
        record("a", 1_000, 9_000, false),
        record("b", 2_000, 2_100, true),
        record("x", 2_500, 2_600, true),
        record("c", 3_000, 3_100, true),
        record("d", 4_000, 4_100, false));
    assertEquals(0, FairnessMetrics.misrankedByLottery(onlyLate, Truth.WIRE), "c beat only a, stamped after it");
  }

  /**
   * One loser drawn by the lottery does not make every late winner a draw: w2 is stamped 2.9 ms
   * after l1 (no near tie is that wide) and l2 was stamped 9 ms late, so w2's win is stamping error.
   */
  @Test
  void onlyPairsWithinTheNearTieBandCountAsLotteryDraws() {
    List<RequestRecord> run = List.of(
        record("l1", 10_000, 10_200, false),
        record("l2", 11_000, 20_000, false), // stamped 9 ms late
        record("w1", 12_000, 12_100, true), // 1.9 ms after l1's stamp: a near tie
        record("w2", 13_000, 13_100, true)); // 2.9 ms after l1's: none
    assertEquals(java.util.Set.of("l1", "w1", "w2"), FairnessMetrics.misranked(run, Truth.WIRE));
    assertEquals(2, FairnessMetrics.misrankedByLottery(run, Truth.WIRE), "l1 and w1 drawn; w2 stamping error");
    List<RequestRecord> equalStamps = List.of(
        record("l", 10_000, 10_500, false),
        record("w", 12_000, 10_500, true)); // the same stamp: ordered by the tie-break's draw, not by error
    assertEquals(1, FairnessMetrics.misrankedByLottery(equalStamps, Truth.WIRE), "w, won after the cut, is the draw's");
  }

  /** A whole clump at the cut's instant can lose to a later clump drawn by the lottery: still counted as drawn. */
  @Test
  void aClumpAtTheCutLosingToALaterClumpIsALotteryDraw() {
    List<RequestRecord> run = List.of(
        record("f1", 1_000, 1_100, true),
        record("f2", 1_000, 1_200, false), // same socket read as f1: the cut's instant
        record("n1", 2_000, 2_100, true)); // 0.9 ms later by stamp, drawn ahead of f2
    assertEquals(1, FairnessMetrics.misrankedByLottery(run, Truth.WIRE));
  }

  private static RequestRecord record(String id, long wireMicros, long stampMicros, boolean won) {
    return new RequestRecord(id, "u-" + id, "near", wireMicros, 0, won ? RecordOutcome.WON : RecordOutcome.LOST, won ? 1 : 3,
        stampMicros, stampMicros + 100, 1_000, "", wireMicros);
  }
}
