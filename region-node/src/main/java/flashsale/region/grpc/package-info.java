/**
 * Adapters around the pure core: the single-threaded region loop, the public FlashSaleService
 * endpoint, the bidi stream to the arbiter (with its heartbeats, clock probes and reconnects), the
 * arbiter's unary look-ups, and the mapping between core values and {@code flashsale.v1} messages.
 * Every adapter only translates and posts to the loop; decisions about purchases live in
 * {@code flashsale.region.core}.
 */
package flashsale.region.grpc;
