package flashsale.arbiter.cluster;

import flashsale.store.ReplicaAcks;
import flashsale.store.testing.RedisClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link LeaderLeaseContract} on a real 3-master Redis Cluster, on the keys of one partition's
 * lease ({@link RedisLeaderLease#forPartition}), reached through one seed: the client must find
 * the master of the lease's slot.
 */
class RedisClusterLeaderLeaseTest extends RedisLeaderLeaseContract {
  @RegisterExtension static final RedisClusterExtension CLUSTER = new RedisClusterExtension();
  private static final int PARTITION = 1;

  @Override
  String uri() {
    return CLUSTER.cluster().uriOfOneSeed();
  }

  @Override
  String leaseKey() {
    return "fs:{arbiter-p" + PARTITION + "}:lease";
  }

  @Override
  LeaderLease newLease(String nodeId, String advertise, LeaseSettings settings) {
    return RedisLeaderLease.forPartition(uri(), nodeId, advertise, settings, ReplicaAcks.NONE, PARTITION);
  }
}
