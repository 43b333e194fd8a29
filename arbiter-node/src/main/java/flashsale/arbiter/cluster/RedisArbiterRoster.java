package flashsale.arbiter.cluster;

import flashsale.store.redis.RedisConnection;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/**
 * The roster as a sorted set {@code fs:{arbiter}:roster}: each member is a node's id plus a
 * per-process token, scored with the Redis-clock time (ms) at which it expires. One script adds
 * this node, drops the expired and counts the rest, so the count never includes a node silent for
 * longer than the ttl. Same hash tag as the lease keys.
 */
public final class RedisArbiterRoster implements ArbiterRoster {
  static final String ROSTER_KEY = "fs:{arbiter}:roster";
  private static final String HEARTBEAT = """
      local t = redis.call('TIME')
      local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowMs)
      redis.call('ZADD', KEYS[1], nowMs + tonumber(ARGV[2]), ARGV[1])
      return redis.call('ZCARD', KEYS[1])
      """;

  private final RedisConnection<String> connection;
  private final RedisClusterAsyncCommands<String, String> redis;
  private final String member;
  private final long ttlMs;
  private final PartitionLayout layout;

  /** @param partitions this node's {@code --partitions}, kept alive in {@link PartitionLayout} with each heartbeat */
  public RedisArbiterRoster(String redisUri, String nodeId, LeaseSettings settings, int partitions) {
    this.connection = RedisConnection.open(redisUri, StringCodec.UTF8, Duration.ofMillis(settings.ttlMs()), true);
    this.redis = connection.async();
    this.member = nodeId + "/" + UUID.randomUUID();
    this.ttlMs = settings.ttlMs();
    this.layout = new PartitionLayout(redis, partitions, settings);
  }

  @Override
  public CompletionStage<Integer> heartbeat() {
    layout.refresh();
    return redis.<Long>eval(HEARTBEAT, ScriptOutputType.INTEGER, new String[] {ROSTER_KEY}, member, Long.toString(ttlMs))
        .thenApply(Long::intValue);
  }

  @Override
  public void leave() {
    redis.zrem(ROSTER_KEY, member).toCompletableFuture().join();
  }

  @Override
  public void close() {
    connection.close();
  }
}
