/**
 * A whole deployment in one process, on loopback: an arbiter, region nodes, and WAN-like delayed
 * links between them. Used by the demo, the benchmark and the end-to-end tests.
 */
package flashsale.client.cluster;
