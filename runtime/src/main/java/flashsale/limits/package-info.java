/**
 * Pure rate limits (time passed in, never read): token buckets by key, used by the region for
 * buyers' purchases and by the arbiter for each admin's event creations.
 */
package flashsale.limits;
