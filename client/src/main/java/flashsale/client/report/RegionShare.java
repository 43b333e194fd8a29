package flashsale.client.report;

/**
 * One region's share of the winners, actual against ideal. The ideal winners are the first N
 * decided requests by true send time, N being the number of actual winners.
 *
 * @param actualShare actualWins / N, 0..1 (NaN when there were no winners)
 * @param idealShare idealWins / N, 0..1 (NaN when there were no winners)
 */
public record RegionShare(String region, long actualWins, long idealWins, double actualShare, double idealShare) {}
