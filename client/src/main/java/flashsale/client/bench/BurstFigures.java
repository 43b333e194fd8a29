package flashsale.client.bench;

import flashsale.client.load.RecordOutcome;
import flashsale.client.load.RequestRecord;
import flashsale.client.report.FairnessMetrics;
import flashsale.client.report.StampLag;
import flashsale.client.report.Truth;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What one burst showed, judged at the wire: winner precision, the latest winner's arrival after
 * the earliest loser's, each region's stamp lag, and how long after the last byte arrived the last
 * answer reached its buyer. Pure: a function of the burst's records.
 *
 * @param offWire decided requests no tap saw; with any, the wire figures are NaN / -1
 * @param misranked winners that reached the wire after the cut and losers before it (-1 without wire figures)
 * @param misrankedByLottery of those, the ones on the near-tie lottery's side (see {@link
 *     FairnessMetrics#misrankedByLottery}); the rest are stamping error
 * @param wireSpanMicros first to last wire arrival
 * @param firstRegionOnWire the region whose first request reached the wire first
 * @param lastWireToLastAnswerMicros last wire arrival to the last answer back at a buyer
 * @param lastWireToLastDecideMicros last wire arrival to the arbiter's last decide time
 * @param cutTieAtWire decided requests in the N-th winner's socket read and the places left there:
 *     the tie winner precision breaks in the system's favour ({@code (0, 0)} without wire figures)
 */
public record BurstFigures(
    int purchases,
    long won,
    long lost,
    long errors,
    long pending,
    long offWire,
    double winnerPrecision,
    double sendWinnerPrecision,
    long latestWinnerAfterEarliestLoserMicros,
    long misranked,
    long misrankedByLottery,
    List<StampLag> stampLags,
    long wireSpanMicros,
    String firstRegionOnWire,
    long lastWireToLastAnswerMicros,
    long lastWireToLastDecideMicros,
    java.util.Map<String, Long> errorCodes,
    FairnessMetrics.CutTie cutTieAtWire) {

  public BurstFigures {
    stampLags = List.copyOf(stampLags);
    errorCodes = java.util.Map.copyOf(errorCodes);
  }

  public static BurstFigures of(List<RequestRecord> records) {
    long offWire = FairnessMetrics.decidedOffWire(records);
    boolean wire = offWire == 0 && records.stream().anyMatch(RequestRecord::decided);
    List<RequestRecord> seen = records.stream().filter(RequestRecord::seenOnWire).toList();
    long firstWire = seen.stream().mapToLong(RequestRecord::wireMicros).min().orElse(0);
    long lastWire = seen.stream().mapToLong(RequestRecord::wireMicros).max().orElse(0);
    String firstRegion = seen.stream().filter(r -> r.wireMicros() == firstWire).map(RequestRecord::region).findFirst().orElse("-");
    long lastAnswer = records.stream().filter(RequestRecord::decided).mapToLong(r -> r.sendMicros() + r.latencyMicros()).max().orElse(0);
    long lastDecide = records.stream().filter(RequestRecord::decided).mapToLong(RequestRecord::decideMicros).max().orElse(0);
    return new BurstFigures(
        records.size(),
        count(records, RecordOutcome.WON),
        count(records, RecordOutcome.LOST),
        count(records, RecordOutcome.ERROR),
        count(records, RecordOutcome.PENDING),
        offWire,
        wire ? FairnessMetrics.winnerPrecision(records, Truth.WIRE) : Double.NaN,
        FairnessMetrics.winnerPrecision(records, Truth.SEND),
        wire ? FairnessMetrics.latestWinnerAfterEarliestLoserMicros(records, Truth.WIRE) : -1,
        wire ? FairnessMetrics.misranked(records, Truth.WIRE).size() : -1,
        wire ? FairnessMetrics.misrankedByLottery(records, Truth.WIRE) : -1,
        StampLag.byRegion(records),
        lastWire - firstWire,
        firstRegion,
        seen.isEmpty() ? -1 : lastAnswer - lastWire,
        seen.isEmpty() ? -1 : lastDecide - lastWire,
        records.stream().filter(r -> r.outcome() == RecordOutcome.ERROR)
            .collect(Collectors.groupingBy(RequestRecord::errorCode, java.util.TreeMap::new, Collectors.counting())),
        wire ? FairnessMetrics.cutTie(records, Truth.WIRE) : new FairnessMetrics.CutTie(0, 0));
  }

  /** The figures of {@code region}, or an exception naming the regions there are. */
  public StampLag lag(String region) {
    return stampLags.stream().filter(l -> l.region().equals(region)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no stamp lag for " + region + " in " + stampLags));
  }

  /** One line for logs and benchmark output. */
  public String line() {
    String lags = stampLags.stream()
        .map(l -> String.format(Locale.ROOT, "%s %.2f/%.2f/%.2f", l.region(), l.p50Micros() / 1e3, l.p99Micros() / 1e3, l.maxMicros() / 1e3))
        .collect(Collectors.joining(", "));
    return String.format(Locale.ROOT,
        "%d purchases (won %d, lost %d, errors %d, pending %d, off wire %d) reached the wire over %.1f ms, %s first;"
            + " winner precision %.3f at the wire (%.3f by send time; at the cut %d in one read for %d places);"
            + " last winner %.2f ms after first loser;"
            + " stamp lag p50/p99/max ms: %s; last wire arrival to last answer %.1f ms (to last decide %.1f ms)",
        purchases, won, lost, errors, pending, offWire, wireSpanMicros / 1e3, firstRegionOnWire, winnerPrecision,
        sendWinnerPrecision, cutTieAtWire.requests(), cutTieAtWire.places(), latestWinnerAfterEarliestLoserMicros / 1e3, lags, lastWireToLastAnswerMicros / 1e3,
        lastWireToLastDecideMicros / 1e3);
  }

  private static long count(List<RequestRecord> records, RecordOutcome outcome) {
    return records.stream().filter(r -> r.outcome() == outcome).count();
  }
}
