package flashsale.arbiter.shard;

import flashsale.shard.ShardBackend;
import flashsale.store.ReplicaAcks;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * How the arbiter reaches and rebalances the regions' shards.
 *
 * @param shardRedisUris each region's shard Redis, which the node opens for the coordinator; a
 *     region without one is never rebalanced
 * @param tickMs how often active events are rebalanced (and half-done transfers recovered)
 * @param horizonMs how far ahead demand is projected when moving stock
 * @param staleReportMs a region's report older than this no longer counts as demand
 * @param backendWrapper wraps every shard backend; identity in production, a fault injector in tests
 * @param replicaAcks replicas of each shard Redis' primary that must hold a transfer step before the
 *     next one is taken (the arbiter's {@code --redis-replica-acks}; its central pool view reads with it too)
 */
public record ShardOptions(Map<String, String> shardRedisUris, long tickMs, long horizonMs, long staleReportMs,
    UnaryOperator<ShardBackend> backendWrapper, ReplicaAcks replicaAcks) {

  public ShardOptions {
    shardRedisUris = Map.copyOf(shardRedisUris);
    if (tickMs < 1 || horizonMs < 0 || staleReportMs < 1) {
      throw new IllegalArgumentException("tick " + tickMs + " ms, horizon " + horizonMs + " ms, stale after "
          + staleReportMs + " ms: tick and staleness must be positive, horizon not negative");
    }
    if (replicaAcks == null) throw new IllegalArgumentException("replica acks must be given (ReplicaAcks.NONE for none)");
  }

  public ShardOptions(Map<String, String> shardRedisUris, long tickMs, long horizonMs, long staleReportMs,
      UnaryOperator<ShardBackend> backendWrapper) {
    this(shardRedisUris, tickMs, horizonMs, staleReportMs, backendWrapper, ReplicaAcks.NONE);
  }

  public static ShardOptions of(Map<String, String> shardRedisUris) {
    return new ShardOptions(shardRedisUris, 10, 200, 1_000, UnaryOperator.identity());
  }

  public ShardOptions withBackendWrapper(UnaryOperator<ShardBackend> wrapper) {
    return new ShardOptions(shardRedisUris, tickMs, horizonMs, staleReportMs, wrapper, replicaAcks);
  }

  public ShardOptions withReplicaAcks(ReplicaAcks acks) {
    return new ShardOptions(shardRedisUris, tickMs, horizonMs, staleReportMs, backendWrapper, acks);
  }
}
