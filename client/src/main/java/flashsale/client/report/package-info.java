/**
 * Fairness metrics and the side-by-side report: winner precision, pairwise inversions beyond a
 * clock bound, per-region win share against the ideal, decision latency and throughput, for one
 * or more load runs (typically one per sale mode), as a text table and a self-contained HTML page.
 *
 * <p>The ground truth is each request's true send time as the load generator recorded it.
 * {@link flashsale.client.report.FairnessMetrics} holds the pure metric functions;
 * {@link flashsale.client.report.FairnessReport} bundles runs for rendering.
 */
package flashsale.client.report;
