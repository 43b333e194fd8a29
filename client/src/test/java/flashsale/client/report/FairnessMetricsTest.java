package flashsale.client.report;

import static flashsale.client.report.Records.decided;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.load.RecordOutcome;
import flashsale.client.load.RequestRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class FairnessMetricsTest {

  /** 20 requests 1 ms apart, alternating regions, ranked in send order; the first 5 win. */
  private static List<RequestRecord> fairRun() {
    List<RequestRecord> records = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      records.add(decided("r" + i, i % 2 == 0 ? "near" : "far", 1_000_000L + i * 1_000L, i + 1, i < 5));
    }
    return records;
  }

  /**
   * The same sends, ranked by arrival at a central store where "far" requests take 30 ms longer:
   * every near request beats every far one, as in the article's baseline.
   */
  private static List<RequestRecord> latencyBiasedRun() {
    List<RequestRecord> sends = fairRun();
    List<RequestRecord> byArrival = new ArrayList<>(sends);
    byArrival.sort(Comparator.comparingLong(r -> r.sendMicros() + (r.region().equals("far") ? 30_000 : 1_000)));
    List<RequestRecord> ranked = new ArrayList<>();
    for (int i = 0; i < byArrival.size(); i++) {
      RequestRecord r = byArrival.get(i);
      ranked.add(decided(r.requestId(), r.region(), r.sendMicros(), i + 1, i < 5));
    }
    Collections.shuffle(ranked, new Random(7)); // metrics must not depend on input order
    return ranked;
  }

  @Test
  void perfectlyFairRunHasPrecisionOneAndNoInversions() {
    List<RequestRecord> run = fairRun();

    assertEquals(1.0, FairnessMetrics.winnerPrecision(run));
    InversionCount inversions = FairnessMetrics.inversions(run, 500);
    assertEquals(0, inversions.invertedPairs());
    // All pairs are ≥ 1 ms apart; the 15 losses after the last win are not ordered among themselves.
    assertEquals(20 * 19 / 2 - 15 * 14 / 2, inversions.comparedPairs());
    for (RegionShare share : FairnessMetrics.regionShares(run)) {
      assertEquals(share.idealShare(), share.actualShare(), share.region());
    }
  }

  @Test
  void misrankedAreTheRequestsOnTheWrongSideOfTheCutThatPrecisionCounts() {
    assertEquals(java.util.Set.of(), FairnessMetrics.misranked(fairRun(), Truth.SEND));
    // Ideal winners r0..r4; r6 and r8 won in place of r1 and r3.
    assertEquals(java.util.Set.of("r1", "r3", "r6", "r8"), FairnessMetrics.misranked(latencyBiasedRun(), Truth.SEND));
  }

  @Test
  void theTieAtTheCutIsCountedSoTheFavourPrecisionGivesIsVisible() {
    assertEquals(new FairnessMetrics.CutTie(1, 1), FairnessMetrics.cutTie(fairRun(), Truth.SEND), "no tie");
    // r3..r6 sent at the same instant, 2 of the 5 places left there; r5 won, r6 lost.
    List<RequestRecord> tied = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      long sendMicros = 1_000_000L + Math.min(i, 3) * 1_000L + Math.max(0, i - 6) * 1_000L;
      tied.add(decided("r" + i, "near", sendMicros, i + 1, i < 3 || i == 5 || i == 4));
    }
    assertEquals(new FairnessMetrics.CutTie(4, 2), FairnessMetrics.cutTie(tied, Truth.SEND));
    assertEquals(1.0, FairnessMetrics.winnerPrecision(tied, Truth.SEND), "any 2 of the 4 tied are hits");
    assertEquals(new FairnessMetrics.CutTie(0, 0), FairnessMetrics.cutTie(List.of(), Truth.SEND));
  }

  @Test
  void latencyBiasedRunHasLowPrecisionManyInversionsAndAStarvedFarRegion() {
    List<RequestRecord> run = latencyBiasedRun();

    // Ideal winners r0..r4; actual winners r0, r2, r4, r6, r8 → 3 of 5.
    assertEquals(0.6, FairnessMetrics.winnerPrecision(run), 1e-12);
    InversionCount inversions = FairnessMetrics.inversions(run, 500);
    // Every far request sent before a near winner is inverted: r1 before r2, r4, r6, r8; r3 before
    // r4, r6, r8; … → 4 + 3 + 2 + 1 = 10, of the 190 pairs less the 105 among the 15 losses.
    assertEquals(new InversionCount(10, 85), inversions);
    assertEquals(bruteForce(run, 500), inversions);
    RegionShare far = FairnessMetrics.regionShares(run).stream().filter(s -> s.region().equals("far")).findFirst().orElseThrow();
    assertEquals(0, far.actualWins());
    assertEquals(2, far.idealWins());
    assertEquals(0.4, far.idealShare(), 1e-12);
  }

  @Test
  void pairsWithinTheClockBoundAreTiesAndNotCounted() {
    // b was sent 500 µs after a but ranked first: within a 1 ms bound no clock can tell them apart.
    List<RequestRecord> run = List.of(decided("a", "near", 10_000, 2, false), decided("b", "far", 10_500, 1, true));

    InversionCount withinBound = FairnessMetrics.inversions(run, 1_000);
    assertEquals(new InversionCount(0, 0), withinBound);
    assertTrue(Double.isNaN(withinBound.share()));
    assertEquals(new InversionCount(1, 1), FairnessMetrics.inversions(run, 100));
    // Exactly the bound apart is still a tie: "more than the bound" is strict.
    assertEquals(new InversionCount(0, 0), FairnessMetrics.inversions(run, 500));
  }

  @Test
  void lossesAfterTheLastWinAreNotOrderedAmongThemselves() {
    // One unit, won by a; then the sold-out fast path answered c (sent later, near) before b (far).
    List<RequestRecord> run = List.of(decided("a", "near", 10_000, 1, true), decided("b", "far", 20_000, 3, false),
        decided("c", "near", 30_000, 2, false), decided("d", "far", 5_000, 4, false));
    // Compared: a-b, a-c, d-a (d sent first, ranked after the win: inverted); b-c and the other
    // tail pairs decide nothing.
    assertEquals(new InversionCount(1, 3), FairnessMetrics.inversions(run, 500));
    assertEquals(bruteForce(run, 500), FairnessMetrics.inversions(run, 500));
  }

  @Test
  void undecidedRequestsTakeNoPartInFairness() {
    List<RequestRecord> run = new ArrayList<>(fairRun());
    run.add(Records.failed("early-error", "far", 0)); // earliest of all, but never ranked

    assertEquals(1.0, FairnessMetrics.winnerPrecision(run));
    assertEquals(0, FairnessMetrics.inversions(run, 500).invertedPairs());
  }

  @Test
  void sweepMatchesBruteForceOnRandomRuns() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    for (int round = 0; round < 20; round++) {
      int n = 1 + random.nextInt(400);
      int winOdds = random.nextBoolean() ? Integer.MAX_VALUE : 1 + random.nextInt(40);
      List<Integer> ranks = new ArrayList<>(IntStream.rangeClosed(1, n).boxed().toList());
      Collections.shuffle(ranks, random);
      List<RequestRecord> run = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        // Coarse send times so that exact ties and near-ties occur often.
        // A few win (at any rank; in some rounds none), some losses are rank-0 answers: the losses
        // after the last win and the rank-0 ones are the tail.
        boolean won = random.nextInt(winOdds) == 0;
        long rank = !won && random.nextInt(5) == 0 ? 0 : ranks.get(i);
        run.add(decided("r" + i, "x", random.nextInt(5_000), rank, won));
      }
      long bound = random.nextInt(3) == 0 ? 0 : random.nextInt(1_000);
      assertEquals(bruteForce(run, bound), FairnessMetrics.inversions(run, bound), "seed=" + seed + " round=" + round);
    }
  }

  @Test
  void noWinnersMeansPrecisionUndefined() {
    List<RequestRecord> run = List.of(decided("a", "near", 1, 1, false));
    assertTrue(Double.isNaN(FairnessMetrics.winnerPrecision(run)));
    assertTrue(Double.isNaN(FairnessMetrics.regionShares(run).get(0).actualShare()));
  }

  @Test
  void latencyPercentilesAndThroughput() {
    List<RequestRecord> run = new ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      // Request i is sent at i ms and answered i ms later; the last answer lands at 200 ms.
      run.add(new RequestRecord("r" + i, "u" + i, "near", i * 1_000L, 0, RecordOutcome.LOST, i, 0, 0, i * 1_000L, ""));
    }
    run.add(Records.failed("e", "near", 50_000)); // failed: counted apart, no latency sample

    assertEquals(100, FairnessMetrics.latencyHistogram(run).getTotalCount());
    List<RequestRecord> withTimeout = new ArrayList<>(run);
    withTimeout.add(new RequestRecord("slow", "u-slow", "near", 1_000, 0, RecordOutcome.PENDING, 0, 0, 0, 30_000_000L, ""));
    withTimeout.add(new RequestRecord("slow2", "u-slow2", "near", 1_000, 0, RecordOutcome.PENDING, 0, 0, 0, 30_000_000L, ""));
    assertEquals(30_000, FairnessMetrics.latencyHistogram(withTimeout).getValueAtPercentile(99) / 1_000, 30,
        "two calls that waited out a 30 s deadline are the slowest 2 %: the p99 shows them");
    assertEquals(50_000, FairnessMetrics.latencyHistogram(run).getValueAtPercentile(50), 50);
    assertEquals(99_000, FairnessMetrics.latencyHistogram(run).getValueAtPercentile(99), 99);
    // 100 decided over 1 ms .. 200 ms = 0.199 s.
    assertEquals(100 / 0.199, FairnessMetrics.throughputPerSecond(run), 1e-6);
  }

  /**
   * Every pair compared by the definition: more than the bound apart, and ordered by the system:
   * not two losses after the last win, not two rank-0 answers.
   */
  private static InversionCount bruteForce(List<RequestRecord> records, long bound) {
    List<RequestRecord> decided = records.stream().filter(RequestRecord::decided).toList();
    long lastWin = decided.stream().filter(RequestRecord::won).mapToLong(RequestRecord::rank).max().orElse(Long.MAX_VALUE);
    long compared = 0;
    long inverted = 0;
    for (RequestRecord a : decided) {
      for (RequestRecord b : decided) {
        boolean aInTail = !a.won() && (a.rank() == 0 || a.rank() > lastWin);
        boolean bInTail = !b.won() && (b.rank() == 0 || b.rank() > lastWin);
        if (b.sendMicros() - a.sendMicros() > bound && !(aInTail && bInTail)) {
          compared++;
          if ((aInTail ? Long.MAX_VALUE : a.rank()) > (bInTail ? Long.MAX_VALUE : b.rank())) {
            inverted++;
          }
        }
      }
    }
    return new InversionCount(inverted, compared);
  }
}
