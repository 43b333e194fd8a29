/** What the arbiter counts and times, as Micrometer meters (scraped as Prometheus metrics). */
package flashsale.arbiter.metrics;
