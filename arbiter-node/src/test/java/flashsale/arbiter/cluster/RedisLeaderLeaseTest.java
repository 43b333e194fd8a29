package flashsale.arbiter.cluster;

import flashsale.store.testing.RedisServerExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link LeaderLeaseContract} on {@link RedisLeaderLease} and a real redis-server. */
class RedisLeaderLeaseTest extends RedisLeaderLeaseContract {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  @Override
  String uri() {
    return REDIS.uri();
  }
}
