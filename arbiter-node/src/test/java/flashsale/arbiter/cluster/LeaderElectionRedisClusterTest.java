package flashsale.arbiter.cluster;

import flashsale.store.testing.RedisCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * {@link LeaderElectionRedisTest}'s lease and fencing tests on a real 3-master Redis Cluster (its
 * set-up methods hide the single server's, so none is started).
 */
class LeaderElectionRedisClusterTest extends LeaderElectionRedisTest {
  private static RedisCluster cluster;

  @BeforeAll
  static void startRedis() {
    cluster = RedisCluster.start();
    redis = cluster::uriOfOneSeed; // the lease's slot is on some master: the client must find it
  }

  @AfterAll
  static void stopRedis() {
    cluster.close();
  }

  @BeforeEach
  @Override
  void clean() {
    cluster.flushAll();
  }
}
