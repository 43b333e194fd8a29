package flashsale.arbiter.cluster;

import flashsale.store.redis.RedisConnection;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.codec.StringCodec;
import org.junit.jupiter.api.AfterEach;

/**
 * {@link LeaderLeaseContract} on {@link RedisLeaderLease}: a subclass names the Redis (and may use
 * a partition's keys).
 */
abstract class RedisLeaderLeaseContract extends LeaderLeaseContract {
  // Redis has no clock to move: a key's remaining ttl is all the time the lease knows, so
  // shortening it by ms is ms passing. A lease with no ttl (PTTL -1) is left alone: it never expires.
  private static final String ELAPSE = """
      local left = redis.call('PTTL', KEYS[1])
      if left > tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], left - tonumber(ARGV[1]))
      elseif left >= 0 then redis.call('DEL', KEYS[1]) end
      return left
      """;
  private RedisConnection<String> raw;

  abstract String uri();

  /** The key {@link #newLease}'s leases keep their holder in. */
  String leaseKey() {
    return RedisLeaderLease.LEASE_KEY;
  }

  @Override
  LeaderLease newLease(String nodeId, String advertise, LeaseSettings settings) {
    return new RedisLeaderLease(uri(), nodeId, advertise, settings);
  }

  @Override
  void elapse(long ms) {
    if (raw == null) raw = RedisConnection.open(uri(), StringCodec.UTF8, null, false);
    raw.async().eval(ELAPSE, ScriptOutputType.INTEGER, new String[] {leaseKey()}, Long.toString(ms))
        .toCompletableFuture().join();
  }

  @AfterEach
  void closeRaw() {
    if (raw != null) raw.close();
  }
}
