/**
 * Shard accounting for SHARDED events, as a pure core: no Redis, gRPC, threads or wall clock.
 * {@link flashsale.shard.ShardBackend} is one region's shard as the transfer protocol sees it
 * (Redis in production, {@link flashsale.shard.ShardLedger} in tests); {@link
 * flashsale.shard.TransferSteps} runs and recovers the two-step transfers between shards;
 * {@link flashsale.shard.Rebalancer} decides which transfers to make.
 */
package flashsale.shard;
