package flashsale.client.report;

import flashsale.client.load.RecordOutcome;
import flashsale.client.load.RequestRecord;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * Every figure the report shows for one run.
 *
 * @param winnerPrecision see {@link FairnessMetrics#winnerPrecision}; NaN when nobody won
 * @param latencyP50Micros decision latency (send to answer) of decided requests; 0 when none
 * @param throughputPerSecond decided requests per second
 */
public record RunMetrics(
    String label,
    long requests,
    long won,
    long lost,
    long pending,
    long errors,
    double winnerPrecision,
    InversionCount inversions,
    List<RegionShare> regionShares,
    long latencyP50Micros,
    long latencyP99Micros,
    long latencyMaxMicros,
    double throughputPerSecond) {

  public RunMetrics {
    regionShares = List.copyOf(regionShares);
  }

  /** Computes all metrics of {@code run}; pairs within {@code clockBoundMicros} count as ties. */
  public static RunMetrics measure(RunResult run, long clockBoundMicros) {
    List<RequestRecord> records = run.records();
    Histogram latency = FairnessMetrics.latencyHistogram(records);
    boolean anyDecided = latency.getTotalCount() > 0;
    return new RunMetrics(
        run.label(),
        records.size(),
        count(records, RecordOutcome.WON),
        count(records, RecordOutcome.LOST),
        count(records, RecordOutcome.PENDING),
        count(records, RecordOutcome.ERROR),
        FairnessMetrics.winnerPrecision(records),
        FairnessMetrics.inversions(records, clockBoundMicros),
        FairnessMetrics.regionShares(records),
        anyDecided ? latency.getValueAtPercentile(50) : 0,
        anyDecided ? latency.getValueAtPercentile(99) : 0,
        anyDecided ? latency.getMaxValue() : 0,
        FairnessMetrics.throughputPerSecond(records));
  }

  /** Won plus lost. */
  public long decided() {
    return won + lost;
  }

  private static long count(List<RequestRecord> records, RecordOutcome outcome) {
    return records.stream().filter(r -> r.outcome() == outcome).count();
  }
}
