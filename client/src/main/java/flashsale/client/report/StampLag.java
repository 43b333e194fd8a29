package flashsale.client.report;

import flashsale.client.load.RequestRecord;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * How late one region stamped its requests: the region's arrival stamp minus the moment a tap saw
 * the request's bytes reach the region (its clock error included). This is the whole error budget
 * of ranking by stamps, so it sits beside winner precision in every report.
 *
 * @param requests requests with both a stamp and a wire time
 */
public record StampLag(String region, int requests, long p50Micros, long p99Micros, long maxMicros, long minMicros) {

  /** One entry per region that had a request with both times, by region name. */
  public static List<StampLag> byRegion(List<RequestRecord> records) {
    Map<String, List<RequestRecord>> byRegion = records.stream()
        .filter(r -> r.seenOnWire() && r.arrivalMicros() > 0)
        .collect(Collectors.groupingBy(RequestRecord::region, TreeMap::new, Collectors.toList()));
    return byRegion.entrySet().stream().map(e -> of(e.getKey(), e.getValue())).toList();
  }

  static StampLag of(String region, List<RequestRecord> records) {
    long[] lags = records.stream().mapToLong(RequestRecord::stampLagMicros).sorted().toArray();
    if (lags.length == 0) throw new IllegalArgumentException("no stamped wire arrivals for " + region);
    return new StampLag(region, lags.length, percentile(lags, 50), percentile(lags, 99), lags[lags.length - 1], lags[0]);
  }

  /** Nearest-rank percentile of sorted values. */
  static long percentile(long[] sorted, double percent) {
    int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }
}
