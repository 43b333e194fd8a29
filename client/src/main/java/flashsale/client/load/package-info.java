/**
 * Load generator: drives real region nodes with many purchases in flight and records, for each
 * request, the ground truth (the generator's own send time) next to what the system decided.
 *
 * <p>{@link flashsale.client.load.LoadGenerator} is the programmatic entry point; results go to CSV
 * or JSON through {@link flashsale.client.load.ResultsFile} and feed {@code flashsale.client.report}.
 */
package flashsale.client.load;
