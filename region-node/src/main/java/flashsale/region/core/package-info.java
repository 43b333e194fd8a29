/**
 * The region node's pure core: the stamp clock, the pending table with its idempotency memory,
 * purchase validation and event rules, sold-out handling and the clock-offset estimate. No gRPC,
 * no threads, no wall clock: time comes in as an {@link java.time.InstantSource} or a parameter,
 * and every class here is driven by a single owner (the region loop, or a test).
 */
package flashsale.region.core;
