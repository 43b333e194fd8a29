/**
 * Fairness metrics and the side-by-side report: winner precision, pairwise inversions beyond a
 * clock bound, per-region win share against the ideal, the latest winner's arrival after the
 * earliest loser's, per-region stamp lag, decision latency and throughput, for one or more load
 * runs (typically one per sale mode), as a text table, a verdict in words and a self-contained
 * HTML page.
 *
 * <p>The ground truth is each request's arrival at its region's socket as a zero-delay tap in
 * front of the region saw it ({@link flashsale.client.report.Truth#WIRE}); a run the taps did not
 * fully see falls back to the load generator's send time, which is always shown as a secondary
 * view. {@link flashsale.client.report.FairnessMetrics} holds the pure metric functions;
 * {@link flashsale.client.report.FairnessReport} bundles runs for rendering.
 */
package flashsale.client.report;
