package flashsale.arbiter.cluster;

import flashsale.store.redis.RedisConnection;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partition count ({@code --partitions}) the arbiters of one Redis run with, in
 * {@code fs:{arbiter}:partition-count}. Arbiters of different counts elect leaders on different
 * lease keys, so both would lead the same events, each fencing the other's claims: decisions stay
 * safe, the sale stalls. The first arbiter claims its count; every live arbiter keeps the key alive
 * with its lease (one partition) or roster (several) ticks, and it expires {@link #LIFETIME_TTLS}
 * lease ttls after the last of them stops. An arbiter of another count is refused at its start.
 */
public final class PartitionLayout {
  private static final Logger log = LoggerFactory.getLogger(PartitionLayout.class);
  static final String KEY = "fs:{arbiter}:partition-count";
  /** How long the count outlives the last refresh, in lease ttls. */
  static final int LIFETIME_TTLS = 3;
  private static final String CLAIM = """
      local held = redis.call('GET', KEYS[1])
      if held and held ~= ARGV[1] then return tonumber(held) end
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      return tonumber(ARGV[1])
      """;

  private final RedisClusterAsyncCommands<String, String> redis;
  private final int count;
  private final long lifetimeMs;
  private volatile int lastConflict;

  PartitionLayout(RedisClusterAsyncCommands<String, String> redis, int count, LeaseSettings settings) {
    if (count < 1) throw new IllegalArgumentException("partition count " + count + " < 1");
    this.redis = redis;
    this.count = count;
    this.lifetimeMs = LIFETIME_TTLS * settings.ttlMs();
  }

  /** The count that holds now: this node's, claimed or kept alive, or the other live arbiters'. */
  CompletionStage<Integer> claim() {
    return redis.<Long>eval(CLAIM, ScriptOutputType.INTEGER, new String[] {KEY}, Integer.toString(count),
        Long.toString(lifetimeMs)).thenApply(Long::intValue);
  }

  /**
   * Keeps this node's count alive, from a lease or roster tick; logs an error once per conflicting
   * count (arbiters of another count started while this node's key had lapsed, e.g. during a pause).
   */
  void refresh() {
    claim().whenComplete((held, error) -> {
      if (error != null || held == null) return; // the tick's own call reports an unreachable Redis
      if (held != count && held != lastConflict) {
        log.error("arbiters on this Redis run with --partitions {}, this one with {}: both elect leaders for the same "
            + "events; stop the ones with the wrong count", held, count);
      }
      lastConflict = held == count ? 0 : held;
    });
  }

  /**
   * Claims {@code count} for the Redis at {@code redisUri} before a node starts: null when claimed (or
   * already this count), else one line saying which count the live arbiters run with.
   */
  public static String claimAtStart(String redisUri, int count, LeaseSettings settings) {
    try (RedisConnection<String> connection = RedisConnection.open(redisUri, StringCodec.UTF8,
        Duration.ofMillis(Math.max(settings.ttlMs(), 5_000)), true)) {
      int held = new PartitionLayout(connection.async(), count, settings).claim().toCompletableFuture().join();
      if (held == count) return null;
      return "the arbiters on this Redis run with --partitions " + held + ", this one with " + count
          + ": every arbiter and region node of one Redis needs the same count (the count is kept "
          + LIFETIME_TTLS * settings.ttlMs() + " ms after the last of them stops)";
    }
  }
}
