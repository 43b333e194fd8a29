package flashsale.region.modes;

import flashsale.store.ReplicaAcks;

/**
 * Stores and timings of the CENTRAL and SHARDED modes at one region.
 *
 * @param centralRedisUri the central pool of CENTRAL events (in production, the arbiter's Redis,
 *     far from far regions); null when this region does not sell CENTRAL events
 * @param shardRedisUri this region's own Redis for its SHARDED shards; null when it sells none
 * @param holdMs how long a purchase waits for borrowed stock before UNAVAILABLE STOCK_IN_TRANSIT
 * @param reportIntervalMs how often the region reports each active shard's demand to the arbiter
 * @param replicaAcks replicas of each pool's Redis primary that must hold a decision before it is told
 */
public record ModesConfig(String centralRedisUri, String shardRedisUri, long holdMs, long reportIntervalMs,
    ReplicaAcks replicaAcks) {
  public static final long DEFAULT_HOLD_MS = 2_000;
  public static final long DEFAULT_REPORT_INTERVAL_MS = 10;

  public ModesConfig {
    if (holdMs < 1) throw new IllegalArgumentException("hold ms must be at least 1, got " + holdMs);
    if (reportIntervalMs < 1) throw new IllegalArgumentException("report interval ms must be at least 1, got " + reportIntervalMs);
    if (replicaAcks == null) throw new IllegalArgumentException("replica acks must be given (ReplicaAcks.NONE for none)");
  }

  /** Neither mode served: such events are refused with MODE_NOT_SUPPORTED. */
  public static ModesConfig none() {
    return new ModesConfig(null, null, DEFAULT_HOLD_MS, DEFAULT_REPORT_INTERVAL_MS, ReplicaAcks.NONE);
  }

  public ModesConfig withCentralRedis(String uri) {
    return new ModesConfig(uri, shardRedisUri, holdMs, reportIntervalMs, replicaAcks);
  }

  public ModesConfig withShardRedis(String uri) {
    return new ModesConfig(centralRedisUri, uri, holdMs, reportIntervalMs, replicaAcks);
  }

  public ModesConfig withReplicaAcks(ReplicaAcks acks) {
    return new ModesConfig(centralRedisUri, shardRedisUri, holdMs, reportIntervalMs, acks);
  }
}
