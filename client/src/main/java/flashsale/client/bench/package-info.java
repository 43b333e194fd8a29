/**
 * Benchmarks that print figures: throughput, decision latency against the physical floor, and
 * memory per pending purchase. Figures, not assertions: they are run by hand and quoted in the
 * README.
 */
package flashsale.client.bench;
