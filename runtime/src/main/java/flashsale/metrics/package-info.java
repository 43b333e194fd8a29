/** Prometheus exposition of a node's metrics over plain HTTP ({@code GET /metrics}). */
package flashsale.metrics;
