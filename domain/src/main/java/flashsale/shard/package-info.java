/**
 * Shard accounting for SHARDED events, as a pure core: no Redis, gRPC, threads or wall clock.
 * {@link flashsale.shard.ShardHoldQueue} is a region's hold-and-borrow policy for one event;
 * {@link flashsale.shard.ShardBalancer} is the arbiter's side (reports, rounds of shard reads and
 * transfers, sold out everywhere); {@link flashsale.shard.ShardBackend} is one region's shard as
 * the transfer protocol sees it (Redis in production, {@link flashsale.shard.MemoryShard} in
 * memory); {@link flashsale.shard.TransferSteps} runs and recovers the transfers between shards
 * synchronously; {@link flashsale.shard.Rebalancer} decides which transfers to make.
 */
package flashsale.shard;
