package flashsale.client.report;

import flashsale.client.load.RecordOutcome;
import flashsale.client.load.RequestRecord;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * Every figure the report shows for one run. The fairness figures rank the ideal by {@code truth}
 * (the wire arrival when a tap saw every decided request); the send-time figures are the
 * secondary view, the load generator's.
 *
 * @param truth what the ideal order is ranked by
 * @param decidedOffWire decided requests no tap saw (with any, the truth falls back to SEND)
 * @param winnerPrecision see {@link FairnessMetrics#winnerPrecision}, under {@code truth}; NaN when nobody won
 * @param inversions under {@code truth}
 * @param regionShares ideal shares under {@code truth}
 * @param latestWinnerAfterEarliestLoserMicros under {@code truth}; 0 when every winner came first
 * @param sendWinnerPrecision winner precision ranked by send time
 * @param sendInversions inversions ranked by send time
 * @param stampLags per region: stamp minus wire arrival
 * @param latencyP50Micros decision latency (send to answer) of decided requests; 0 when none
 * @param throughputPerSecond decided requests per second
 * @param cutTie requests that arrived with the N-th winner (under {@code truth}) and the places
 *     left there, a tie {@code winnerPrecision} breaks in the system's favour
 */
public record RunMetrics(
    String label,
    long requests,
    long won,
    long lost,
    long pending,
    long errors,
    Truth truth,
    long decidedOffWire,
    double winnerPrecision,
    InversionCount inversions,
    List<RegionShare> regionShares,
    long latestWinnerAfterEarliestLoserMicros,
    double sendWinnerPrecision,
    InversionCount sendInversions,
    List<StampLag> stampLags,
    long latencyP50Micros,
    long latencyP99Micros,
    long latencyMaxMicros,
    double throughputPerSecond,
    FairnessMetrics.CutTie cutTie) {

  public RunMetrics {
    regionShares = List.copyOf(regionShares);
    stampLags = List.copyOf(stampLags);
  }

  /** Computes all metrics of {@code run}; pairs within {@code clockBoundMicros} count as ties. */
  public static RunMetrics measure(RunResult run, long clockBoundMicros) {
    List<RequestRecord> records = run.records();
    Truth truth = Truth.of(records);
    Histogram latency = FairnessMetrics.latencyHistogram(records);
    boolean anyDecided = latency.getTotalCount() > 0;
    return new RunMetrics(
        run.label(),
        records.size(),
        count(records, RecordOutcome.WON),
        count(records, RecordOutcome.LOST),
        count(records, RecordOutcome.PENDING),
        count(records, RecordOutcome.ERROR),
        truth,
        FairnessMetrics.decidedOffWire(records),
        FairnessMetrics.winnerPrecision(records, truth),
        FairnessMetrics.inversions(records, clockBoundMicros, truth),
        FairnessMetrics.regionShares(records, truth),
        FairnessMetrics.latestWinnerAfterEarliestLoserMicros(records, truth),
        FairnessMetrics.winnerPrecision(records, Truth.SEND),
        FairnessMetrics.inversions(records, clockBoundMicros, Truth.SEND),
        StampLag.byRegion(records),
        anyDecided ? latency.getValueAtPercentile(50) : 0,
        anyDecided ? latency.getValueAtPercentile(99) : 0,
        anyDecided ? latency.getMaxValue() : 0,
        FairnessMetrics.throughputPerSecond(records),
        FairnessMetrics.cutTie(records, truth));
  }

  /** Won plus lost. */
  public long decided() {
    return won + lost;
  }

  private static long count(List<RequestRecord> records, RecordOutcome outcome) {
    return records.stream().filter(r -> r.outcome() == outcome).count();
  }
}
